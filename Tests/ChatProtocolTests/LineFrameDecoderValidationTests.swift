import ChatProtocol
import XCTest

/// What the decoder lets through: strict UTF-8 without control characters.
final class LineFrameDecoderValidationTests: XCTestCase {
    private func assertLine(
        _ content: [UInt8],
        decodesTo expected: InboundLine,
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(content + [0x0D, 0x0A], to: [expected], file: file, line: line)
    }

    private func assertBadEncoding(_ content: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        try self.assertLine(content, decodesTo: .badEncoding, file: file, line: line)
    }

    // MARK: - Accepted

    func testASCIIIsAccepted() throws {
        try self.assertLine(Array("Hello, world! ~{}|".utf8), decodesTo: .text("Hello, world! ~{}|"))
    }

    func testMultibyteUTF8IsAccepted() throws {
        let text = "Grüße, 日本語, \u{1F680}, e\u{301}"
        try self.assertLine(Array(text.utf8), decodesTo: .text(text))
    }

    func testTABIsAccepted() throws {
        try self.assertLine(Array("a\tb".utf8), decodesTo: .text("a\tb"))
    }

    func testNoBreakSpaceJustAfterC1RangeIsAccepted() throws {
        try self.assertLine([0x61, 0xC2, 0xA0, 0x62], decodesTo: .text("a\u{A0}b"))
    }

    func testLargestScalarIsAccepted() throws {
        try self.assertLine([0xF4, 0x8F, 0xBF, 0xBF], decodesTo: .text("\u{10FFFF}"))
    }

    // MARK: - Invalid UTF-8

    func testOverlongSlashIsRejected() throws {
        try self.assertBadEncoding([0xC0, 0xAF])
    }

    func testOverlongNULIsRejected() throws {
        try self.assertBadEncoding([0x61, 0xC0, 0x80, 0x62])
    }

    func testThreeByteOverlongIsRejected() throws {
        try self.assertBadEncoding([0xE0, 0x80, 0xAF])
    }

    func testFourByteOverlongIsRejected() throws {
        try self.assertBadEncoding([0xF0, 0x80, 0x80, 0xAF])
    }

    func testLoneContinuationByteIsRejected() throws {
        try self.assertBadEncoding([0x61, 0x80, 0x62])
    }

    func testEncodedHighSurrogateIsRejected() throws {
        try self.assertBadEncoding([0xED, 0xA0, 0x80])
    }

    func testEncodedLowSurrogateIsRejected() throws {
        try self.assertBadEncoding([0xED, 0xBF, 0xBF])
    }

    func testEncodedSurrogatePairIsRejected() throws {
        // CESU-8 style U+1F600: two encoded surrogates instead of one 4-byte sequence.
        try self.assertBadEncoding([0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80])
    }

    func testCodePointAboveUnicodeRangeIsRejected() throws {
        try self.assertBadEncoding([0xF4, 0x90, 0x80, 0x80])
    }

    func testInvalidLeadBytesAreRejected() throws {
        try self.assertBadEncoding([0xFF])
        try self.assertBadEncoding([0xFE, 0x61])
        try self.assertBadEncoding([0xF8, 0x88, 0x80, 0x80, 0x80])
    }

    func testTruncatedSequenceAtEndOfLineIsRejected() throws {
        // The euro sign is E2 82 AC; the line ends after two of its bytes.
        try self.assertBadEncoding([0x61, 0xE2, 0x82])
    }

    func testLatin1IsRejected() throws {
        try self.assertBadEncoding([0x63, 0x61, 0x66, 0xE9])
    }

    // MARK: - Control characters

    func testNULIsRejected() throws {
        try self.assertBadEncoding([0x61, 0x00, 0x62])
    }

    func testANSIEscapeSequenceIsRejected() throws {
        try self.assertBadEncoding(Array("\u{1B}[2J\u{1B}[31mpwned".utf8))
    }

    func testC1CSIIsRejected() throws {
        try self.assertBadEncoding(Array("\u{9B}31mred".utf8))
        try self.assertBadEncoding([0x61, 0xC2, 0x9B, 0x62])
    }

    func testC1RangeBoundsAreRejected() throws {
        try self.assertBadEncoding(Array("\u{80}".utf8))
        try self.assertBadEncoding(Array("\u{85}".utf8))
        try self.assertBadEncoding(Array("\u{9F}".utf8))
    }

    func testDELIsRejected() throws {
        try self.assertBadEncoding([0x61, 0x7F])
    }

    func testLoneCRInsideLineIsRejected() throws {
        try self.assertBadEncoding(Array("fake\rline".utf8))
    }

    func testEveryC0ControlExceptTABIsRejected() throws {
        for byte in UInt8(0x00)...UInt8(0x1F) where byte != 0x09 && byte != 0x0A {
            try self.assertBadEncoding([0x61, byte, 0x62])
        }
    }

    func testBlankLineWithControlCharacterIsNotIgnored() throws {
        try self.assertBadEncoding([0x20, 0x07, 0x20])
    }

    // MARK: - Recovery

    func testBadLineDoesNotDisturbTheNext() throws {
        let harness = try LineDecoderHarness()
        try harness.assertDecodes(
            [0x61, 0xFF, 0x0A] + Array("fine\r\n".utf8) + [0x1B, 0x0A] + Array("also fine\n".utf8),
            to: [.badEncoding, .text("fine"), .badEncoding, .text("also fine")]
        )
    }
}
