import ChatProtocol

extension ServerEvent {
    /// The line as the server sent it, for script mode, which prints server lines
    /// unchanged. `ServerEvent.parse` accepts only lines that render back byte for
    /// byte, so rendering the event gives the line back.
    var wireLine: String {
        let bytes = self.rendered().readableBytesView
        return String(decoding: bytes.dropLast(2), as: UTF8.self)  // without the CRLF
    }
}
