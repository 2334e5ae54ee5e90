import ChatTestSupport
import NIOCore
import XCTest

/// Framing limits as a connected user meets them, over real TLS.
final class FramingTests: XCTestCase {
    func testOverlongLineGetsAnErrorAndTheConnectionCloses() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.maxLineLength = 64 }
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")

        // Exactly at the limit is fine.
        let atLimit = String(repeating: "x", count: 64)
        try await alice.send(atLimit)
        try await expect(bob, "MSG #lobby alice \(atLimit)")
        // One byte more, even without its newline yet, ends the connection.
        try await alice.sendRaw(Array(String(repeating: "y", count: 65).utf8))
        let rest = try await alice.linesUntilClosed()
        XCTAssertEqual(rest, ["ERR line-too-long lines are limited to 64 bytes"])
        try await expectNothingPending(bob)
        await bob.close()
    }

    func testMegabyteWithoutNewlineIsCutOffEarly() async throws {
        let harness = try await ServerHarness.start(for: self)
        let client = try await harness.connect()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
        // The server closes after the first 4 KiB; later writes may fail, which is fine.
        for _ in 0..<16 {
            do { try await client.sendRaw(chunk) } catch { break }
        }
        let rest = try await client.linesUntilClosed()
        XCTAssertEqual(rest.first, "ERR line-too-long lines are limited to 4096 bytes")
    }

    func testBadEncodingIsRefusedAndTheConnectionStays() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")

        let hostile: [[UInt8]] = [
            [0xC3, 0x28],  // invalid UTF-8
            [0xC0, 0xAF],  // overlong "/"
            Array("nul\u{0}byte".utf8),
            Array("\u{1B}[2J\u{1B}[31mred".utf8),  // ANSI: clear screen, colour
            Array("c1 \u{9B}31m".utf8),
            Array("bell\u{7}".utf8),
        ]
        for bytes in hostile {
            try await alice.sendRaw(bytes + [0x0A])
            try await expect(alice, "ERR bad-encoding lines must be UTF-8 without control characters")
        }
        // Nothing of it reached bob, and alice can still talk.
        try await alice.send("tab\tis fine")
        try await expect(bob, "MSG #lobby alice tab\tis fine")
        await alice.close()
        await bob.close()
    }

    func testLineEndingsSplitAcrossRecordsAndBytes() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")

        // Each sendRaw is its own TLS record.
        try await alice.sendRaw(Array("split across\r".utf8))
        try await alice.sendRaw([0x0A])
        try await expect(bob, "MSG #lobby alice split across")
        for byte in Array("byte by byte\r\n".utf8) {
            try await alice.sendRaw([byte])
        }
        try await expect(bob, "MSG #lobby alice byte by byte")
        // Empty and blank lines are ignored; bare LF works; several lines in one record.
        try await alice.sendRaw(Array("\r\n\n   \none\ntwo\r\n".utf8))
        try await expect(bob, "MSG #lobby alice one")
        try await expect(bob, "MSG #lobby alice two")
        await alice.close()
        await bob.close()
    }
}
