import ChatProtocol
import NIOCore
import XCTest

/// The framing a channel handler does itself: lines cut anywhere across reads come out
/// whole, once each, in order; what is left of a line waits for the next read.
final class LineFramerTests: XCTestCase {
    private func lines(_ framer: inout LineFramer) throws -> [InboundLine] {
        var lines: [InboundLine] = []
        while let line = try framer.nextLine() { lines.append(line) }
        return lines
    }

    func testLinesCutAcrossReadsComeOutWholeAndInOrder() throws {
        var framer = LineFramer(maxLineLength: 64)
        var seen: [InboundLine] = []
        for piece in ["/pi", "ng o", "ne\r", "\n\n  \n/ping two\n/ping th", "ree\n/par", "tial"] {
            framer.append(ByteBuffer(string: piece))
            seen += try lines(&framer)
        }
        XCTAssertEqual(seen, [.text("/ping one"), .text("/ping two"), .text("/ping three")])
        framer.append(ByteBuffer(string: " line\n"))
        XCTAssertEqual(try lines(&framer), [.text("/partial line")])
        XCTAssertNil(try framer.nextLine(), "nothing left")
    }

    func testAPartialLineIsDroppedByReset() throws {
        var framer = LineFramer(maxLineLength: 64)
        framer.append(ByteBuffer(string: "cut off by a disconn"))
        XCTAssertNil(try framer.nextLine())
        framer.reset()
        framer.append(ByteBuffer(string: "ect\n"))
        XCTAssertEqual(try lines(&framer), [.text("ect")])
    }

    func testALineOverTheLimitThrowsBeforeItsEnd() throws {
        var framer = LineFramer(maxLineLength: 8)
        framer.append(ByteBuffer(string: "12345678"))
        XCTAssertNil(try framer.nextLine(), "eight bytes may still end in CR LF")
        framer.append(ByteBuffer(string: "9"))
        XCTAssertThrowsError(try framer.nextLine()) { error in
            XCTAssertEqual((error as? LineTooLongError)?.limit, 8)
        }
    }
}
