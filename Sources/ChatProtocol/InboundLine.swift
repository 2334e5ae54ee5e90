/// One line received from a client, as produced by ``LineFrameDecoder``.
public enum InboundLine: Equatable, Sendable {
    /// A valid line with its terminator removed.
    case text(String)
    /// The line was not valid UTF-8, or held a control character other than TAB.
    ///
    /// Such a line is reported rather than thrown so the server can answer
    /// `ERR bad-encoding` and keep the connection: the framing is still intact.
    case badEncoding
}
