import ChatProtocol
import NIOCore
import NIOTestUtils
import XCTest

/// Framing and limits; character validation is in `LineFrameDecoderValidationTests`.
final class LineFrameDecoderTests: XCTestCase {
    func testDefaultLimitIs4096() {
        XCTAssertEqual(ProtocolLimits.defaultMaxLineLength, 4096)
        XCTAssertEqual(LineFrameDecoder().maxLineLength, 4096)
    }

    func testLFTerminatedLine() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(Array("hello world\n".utf8), to: [.text("hello world")])
    }

    func testCRLFTerminatedLine() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(Array("hello\r\n".utf8), to: [.text("hello")])
    }

    func testOnlyOneCRBeforeLFIsDropped() throws {
        // The second CR is part of the line, and a CR in a line is a control character.
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(Array("hello\r\r\n".utf8), to: [.badEncoding])
    }

    func testNothingIsEmittedWithoutLF() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(Array("no newline yet".utf8), to: [])
        try harness.assertDecodes(Array(" at all\r".utf8), to: [])
        try harness.assertDecodes(Array("\n".utf8), to: [.text("no newline yet at all")])
    }

    func testSeveralLinesInOneBuffer() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(
            Array("one\ntwo\r\nthree\nfour".utf8),
            to: [.text("one"), .text("two"), .text("three")]
        )
        try harness.assertDecodes(Array("\n".utf8), to: [.text("four")])
    }

    func testCRAndLFSplitAcrossReads() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(Array("split\r".utf8), to: [])
        try harness.assertDecodes(Array("\nnext\r".utf8), to: [.text("split")])
        try harness.assertDecodes(Array("\n".utf8), to: [.text("next")])
    }

    func testCRFollowedByOtherByteInNextReadIsPartOfTheLine() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(Array("a\r".utf8), to: [])
        try harness.assertDecodes(Array("b\n".utf8), to: [.badEncoding])
    }

    func testByteByByteDelivery() throws {
        let harness = try LineDecoderHarness()
        let input = Array("first line\r\nsecond\n".utf8)
        var emitted: [InboundLine] = []
        for (offset, byte) in input.enumerated() {
            try harness.feed([byte])
            let lines = try harness.lines()
            if byte == UInt8(ascii: "\n") {
                XCTAssertEqual(lines.count, 1, "a line is emitted exactly when its LF arrives (byte \(offset))")
            } else {
                XCTAssertEqual(lines, [], "nothing is emitted before the LF (byte \(offset))")
            }
            emitted += lines
        }
        XCTAssertEqual(emitted, [.text("first line"), .text("second")])
    }

    func testEmptyAndBlankLinesAreIgnored() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(Array("\n\r\n   \n\t \t\r\n".utf8), to: [])
        try harness.assertDecodes(Array("\nafter\n\n".utf8), to: [.text("after")])
    }

    func testSurroundingSpacesAreKept() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(Array("  padded \t\r\n".utf8), to: [.text("  padded \t")])
    }

    // MARK: - Limits

    func testLineOfExactlyMaxBytesIsAccepted() throws {
        let harness = try LineDecoderHarness(maxLineLength: 8)
        try harness.assertDecodes(.filler(8) + Array("\n".utf8), to: [.text("aaaaaaaa")])
    }

    func testLineOfExactlyMaxBytesWithCRLFIsAccepted() throws {
        let harness = try LineDecoderHarness(maxLineLength: 8)
        try harness.assertDecodes(.filler(8) + Array("\r\n".utf8), to: [.text("aaaaaaaa")])
    }

    func testMaxBytesThenCRThenLFInSeparateReadsIsAccepted() throws {
        let harness = try LineDecoderHarness(maxLineLength: 8)
        try harness.assertDecodes(.filler(8), to: [])
        try harness.assertDecodes(Array("\r".utf8), to: [])
        try harness.assertDecodes(Array("\n".utf8), to: [.text("aaaaaaaa")])
    }

    func testDefaultLimitIsEnforced() throws {
        let accepting = try LineDecoderHarness()
        try accepting.assertDecodes(.filler(4096) + Array("\r\n".utf8), to: [.text(String(repeating: "a", count: 4096))])
        try LineDecoderHarness().assertTooLong(.filler(4097) + Array("\n".utf8), limit: 4096)
    }

    func testMaxPlusOneBytesWithLFIsRejected() throws {
        try LineDecoderHarness(maxLineLength: 8).assertTooLong(.filler(9) + Array("\n".utf8), limit: 8)
    }

    func testMaxPlusOneBytesWithCRLFIsRejected() throws {
        try LineDecoderHarness(maxLineLength: 8).assertTooLong(.filler(9) + Array("\r\n".utf8), limit: 8)
    }

    func testLongLineIsDetectedBeforeItsLFArrives() throws {
        let harness = try LineDecoderHarness(maxLineLength: 8)
        try harness.assertDecodes(.filler(8), to: [])
        // The 9th byte is not a CR, so no LF can rescue the line any more.
        harness.assertTooLong(Array("b".utf8), limit: 8)
    }

    func testCRAfterMaxBytesWaitsThenNonLFIsRejected() throws {
        let harness = try LineDecoderHarness(maxLineLength: 8)
        try harness.assertDecodes(.filler(8) + Array("\r".utf8), to: [])
        harness.assertTooLong(Array("x".utf8), limit: 8)
    }

    func testLongLineDripFedIsDetectedAtTheFirstImpossibleByte() throws {
        let harness = try LineDecoderHarness(maxLineLength: 16)
        try harness.drip(.filler(16))
        harness.assertTooLong([UInt8(ascii: "a")], limit: 16)
    }

    func testHugeBufferWithDistantLFIsRejected() throws {
        try LineDecoderHarness().assertTooLong(.filler(1 << 20) + Array("\n".utf8), limit: 4096)
    }

    func testLinesBeforeAnOverLongLineAreStillDelivered() throws {
        let harness = try LineDecoderHarness(maxLineLength: 8)
        harness.assertTooLong(Array("ok\nshort\n".utf8) + .filler(20), limit: 8)
        XCTAssertEqual(try harness.lines(), [.text("ok"), .text("short")])
    }

    func testLimitAppliesPerLineNotPerRead() throws {
        let harness = try LineDecoderHarness(maxLineLength: 8)
        let manyShortLines = Array(repeating: Array("1234567\n".utf8), count: 100).flatMap { $0 }
        try harness.feed(manyShortLines)
        XCTAssertEqual(try harness.lines(), Array(repeating: .text("1234567"), count: 100))
    }

    // MARK: - EOF

    func testPartialLineAtEOFIsDiscarded() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(Array("complete\npartial".utf8), to: [.text("complete")])
        XCTAssertTrue(try harness.channel.finish().isClean)
    }

    func testPartialLineEndingInCRAtEOFIsDiscarded() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(Array("almost\r".utf8), to: [])
        XCTAssertTrue(try harness.channel.finish().isClean)
    }

    func testCompleteInputLeavesNothingAtEOF() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(Array("done\n".utf8), to: [.text("done")])
        XCTAssertTrue(try harness.channel.finish().isClean)
    }

    // MARK: - NIO's verifier

    func testVerifierFeedingStrategies() throws {
        // The verifier re-feeds these whole, byte by byte (wrapped in junk it must
        // not read), all at once, and checks nothing is left at EOF.
        let alloc = ByteBufferAllocator()
        let pairs: [(ByteBuffer, [InboundLine])] = [
            (alloc.buffer(string: "hello\n"), [.text("hello")]),
            (alloc.buffer(string: "crlf line\r\n"), [.text("crlf line")]),
            (alloc.buffer(string: "\r\n"), []),
            (alloc.buffer(string: " \t \n"), []),
            (alloc.buffer(string: "two\nlines\r\n"), [.text("two"), .text("lines")]),
            (alloc.buffer(string: "caf\u{E9} \u{1F600}\n"), [.text("caf\u{E9} \u{1F600}")]),
            (alloc.buffer(string: "tab\there\n"), [.text("tab\there")]),
            (alloc.buffer(string: "\u{1B}[31mred\n"), [.badEncoding]),
            (alloc.buffer(bytes: [0x61, 0xC0, 0xAF, 0x0A]), [.badEncoding]),
            (alloc.buffer(bytes: Array(repeating: 0x62, count: 32) + [0x0D, 0x0A]), [.text(String(repeating: "b", count: 32))]),
        ]
        XCTAssertNoThrow(
            try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
                LineFrameDecoder(maxLineLength: 32)
            }
        )
    }
}
