import ChatProtocol
import NIOCore
import NIOEmbedded
import XCTest

/// A `LineFrameDecoder` inside a `ByteToMessageHandler` on an `EmbeddedChannel`,
/// as the server uses it, fed bytes by tests.
struct LineDecoderHarness {
    let channel = EmbeddedChannel()

    init(maxLineLength: Int = ProtocolLimits.defaultMaxLineLength) throws {
        let handler = ByteToMessageHandler(LineFrameDecoder(maxLineLength: maxLineLength))
        try self.channel.pipeline.syncOperations.addHandler(handler)
    }

    /// Delivers `bytes` as one read; rethrows what the decoder threw.
    func feed(_ bytes: [UInt8]) throws {
        try self.channel.writeInbound(self.channel.allocator.buffer(bytes: bytes))
    }

    func feed(_ text: String) throws {
        try self.feed(Array(text.utf8))
    }

    /// Delivers `bytes` one read per byte.
    func drip(_ bytes: [UInt8]) throws {
        for byte in bytes {
            try self.feed([byte])
        }
    }

    /// Everything the decoder has emitted since the last call.
    func lines() throws -> [InboundLine] {
        var lines: [InboundLine] = []
        while let line = try self.channel.readInbound(as: InboundLine.self) {
            lines.append(line)
        }
        return lines
    }

    /// Feeds `bytes` as one read and asserts exactly `expected` comes out.
    func assertDecodes(
        _ bytes: [UInt8],
        to expected: [InboundLine],
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        try self.feed(bytes)
        XCTAssertEqual(try self.lines(), expected, file: file, line: line)
    }

    /// Asserts that feeding `bytes` throws `LineTooLongError` with `limit`.
    func assertTooLong(
        _ bytes: [UInt8],
        limit: Int,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertThrowsError(try self.feed(bytes), file: file, line: line) { error in
            XCTAssertEqual(error as? LineTooLongError, LineTooLongError(limit: limit), file: file, line: line)
        }
    }
}

extension Array where Element == UInt8 {
    /// `count` copies of ASCII `a`.
    static func filler(_ count: Int) -> [UInt8] {
        [UInt8](repeating: UInt8(ascii: "a"), count: count)
    }
}
