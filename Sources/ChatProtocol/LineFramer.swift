import NIOCore

/// `LineFrameDecoder` for a channel handler that frames its own input rather than
/// sitting behind a `ByteToMessageHandler`: it keeps the start of a line still missing
/// its LF from one read to the next, and nothing at all when there is none.
public struct LineFramer: Sendable {
    private var decoder: LineFrameDecoder
    private var unframed: ByteBuffer?

    public init(maxLineLength: Int = ProtocolLimits.defaultMaxLineLength) {
        self.decoder = LineFrameDecoder(maxLineLength: maxLineLength)
    }

    public var maxLineLength: Int { decoder.maxLineLength }

    /// Adds a read's bytes after what earlier reads left.
    public mutating func append(_ bytes: ByteBuffer) {
        guard var partial = unframed else {
            unframed = bytes
            return
        }
        var bytes = bytes
        unframed = nil  // uniquely referenced while it grows
        partial.discardReadBytes()
        partial.writeBuffer(&bytes)
        unframed = partial
    }

    /// The next complete line, skipping blank ones; nil until more bytes come.
    ///
    /// - Throws: `LineTooLongError` once a line passes the limit, terminated or not;
    ///   nothing after it can be framed.
    public mutating func nextLine() throws -> InboundLine? {
        guard var buffer = unframed else { return nil }
        unframed = nil
        defer { unframed = buffer.readableBytes > 0 ? buffer : nil }
        return try decoder.nextLine(from: &buffer)
    }

    /// Drops a partial line: at the end of the stream it is not a line.
    public mutating func reset() {
        unframed = nil
        // The decoder remembers how far it searched the dropped bytes.
        decoder = LineFrameDecoder(maxLineLength: decoder.maxLineLength)
    }
}
