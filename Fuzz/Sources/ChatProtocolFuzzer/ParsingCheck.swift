import ChatProtocol

/// Reads any text as a server line, as a client would: `ServerEvent.parse` must
/// not crash, and a line it accepts must render back to exactly that line, since
/// PROTOCOL.md's grammar has one spelling for each event.
enum ParsingCheck {
    static func run(_ line: String) {
        guard let event = ServerEvent.parse(line) else {
            return
        }
        let rendered = Array(event.rendered().readableBytesView)
        check(
            rendered == Array(line.utf8) + [13, 10],
            "\(line.debugDescription) parsed as \(event), which renders as \(rendered)"
        )
        if case .error(.unknown(let code), _) = event {
            check(!ErrorCode.known.map(\.rawValue).contains(code), "known code \(code) parsed as unknown")
        }
    }
}
