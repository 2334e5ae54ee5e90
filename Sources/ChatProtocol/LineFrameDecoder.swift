import NIOCore

/// Splits the client's byte stream into lines, enforcing a length limit and
/// rejecting text that could confuse the server or other clients' terminals.
///
/// Lines end in LF; one CR directly before the LF is dropped, so both `\n` and
/// `\r\n` work. The limit counts the line's bytes without its terminator.
///
/// - An over-long line throws ``LineTooLongError`` as soon as the limit is provably
///   exceeded, without waiting for its LF: a peer must not be able to make the
///   server buffer an unbounded line.
/// - A line that is not valid UTF-8 or holds a control character (other than TAB)
///   becomes ``InboundLine/badEncoding``; the connection survives.
/// - Empty lines and lines of only spaces and TABs produce nothing.
/// - At EOF a trailing partial line is dropped: a line cut off by a disconnect is
///   not a command.
///
/// Like swift-nio-extras' `LineBasedFrameDecoder` it remembers how far it has
/// searched, so drip-fed bytes are scanned once, not once per read.
public struct LineFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = InboundLine

    /// The longest accepted line in bytes, not counting the terminator.
    public let maxLineLength: Int

    /// How many readable bytes have already been searched for an LF.
    private var scanOffset = 0

    public init(maxLineLength: Int = ProtocolLimits.defaultMaxLineLength) {
        precondition(maxLineLength > 0, "maxLineLength must be positive")
        self.maxLineLength = maxLineLength
    }

    /// The next line in `buffer`, consumed, skipping blank lines; nil when no complete
    /// line remains (the partial one stays in `buffer`). `LineFramer` calls it with
    /// the same buffer, more bytes appended, as they arrive.
    ///
    /// - Throws: `LineTooLongError` once a line, terminated or not, passes
    ///   `maxLineLength`; the stream cannot be framed after that.
    mutating func nextLine(from buffer: inout ByteBuffer) throws -> InboundLine? {
        while let frame = try self.nextFrame(from: &buffer) {
            if case .line(let line) = frame { return line }
        }
        return nil
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try self.nextFrame(from: &buffer) else {
            return .needMoreData
        }
        if case .line(let line) = frame {
            context.fireChannelRead(Self.wrapInboundOut(line))
        }
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        // Whatever is left has no LF: discard it instead of reporting left-over bytes.
        buffer.moveReaderIndex(to: buffer.writerIndex)
        self.scanOffset = 0
        return .needMoreData
    }

    /// What one complete line turned into.
    private enum Frame {
        case line(InboundLine)
        case blank
    }

    /// Consumes the next complete line, or returns `nil` if there is none yet.
    private mutating func nextFrame(from buffer: inout ByteBuffer) throws -> Frame? {
        let view = buffer.readableBytesView
        // No valid line is longer than this (content + CR + LF), so the search never
        // needs to look further, however much a peer sent at once.
        let searchLength = min(view.count, self.maxLineLength + 2)
        let searchStart = view.startIndex + min(self.scanOffset, searchLength)

        guard let newline = view[searchStart..<(view.startIndex + searchLength)].firstIndex(of: .lf) else {
            try self.checkUnterminatedLength(view)
            self.scanOffset = view.count
            return nil
        }
        self.scanOffset = 0

        let terminatedLength = newline - view.startIndex
        let hasCR = terminatedLength > 0 && view[newline - 1] == .cr
        let contentLength = hasCR ? terminatedLength - 1 : terminatedLength
        guard contentLength <= self.maxLineLength else {
            throw LineTooLongError(limit: self.maxLineLength)
        }

        let content = view[view.startIndex..<(view.startIndex + contentLength)]
        let frame: Frame
        switch Self.classify(content) {
        case .blank:
            frame = .blank
        case .invalid:
            frame = .line(.badEncoding)
        case .valid:
            // `classify` has proven the bytes valid UTF-8, so this decoding is exact.
            frame = .line(.text(String(decoding: content, as: UTF8.self)))
        }
        buffer.moveReaderIndex(forwardBy: terminatedLength + 1)
        return frame
    }

    /// Throws once the unterminated line can no longer end within the limit.
    ///
    /// `maxLineLength` bytes plus one CR may still be followed by an LF; one byte
    /// more, or a non-CR byte in the CR's place, cannot.
    private func checkUnterminatedLength(_ view: ByteBufferView) throws {
        let count = view.count
        let overLimit =
            count > self.maxLineLength + 1
            || (count == self.maxLineLength + 1 && view.last != .cr)
        if overLimit {
            throw LineTooLongError(limit: self.maxLineLength)
        }
    }
}

extension UInt8 {
    fileprivate static let lf = UInt8(ascii: "\n")
    fileprivate static let cr = UInt8(ascii: "\r")
}
