/// Thrown by ``LineFrameDecoder`` when a line exceeds its length limit.
///
/// Unlike a badly encoded line this is fatal for the connection: the decoder stops
/// at the limit without looking for the end of the line, so the byte stream can no
/// longer be split reliably and the server should answer and close.
public struct LineTooLongError: Error, Equatable, Sendable {
    /// The limit that was exceeded, in bytes, not counting the line terminator.
    public let limit: Int

    public init(limit: Int) {
        self.limit = limit
    }
}
