import ChatTestSupport
import NIOCore
import XCTest

/// What a session's flush gathers and encrypts arrives as it was sent, over real TLS:
/// hundreds of lines queued in one loop pass, to readers that keep up and to one that
/// stalls and then reads (its unsent records stay in the channel while the loop's
/// shared buffers serve every other flush).
final class OutboundDeliveryTests: XCTestCase {
    /// Lines of many lengths, so one flush spans several TLS records and lines straddle
    /// record boundaries; each says which line it is.
    private static func text(_ index: Int, longest: Int) -> String {
        let letter = Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(index % 26)))
        return "\(index) " + String(repeating: letter, count: (index * 37) % longest)
    }

    private static func read(_ count: Int, from client: TestLineClient, timeout: TimeAmount = .seconds(30)) async throws -> [String] {
        var lines: [String] = []
        while lines.count < count, let line = try await client.nextLine(timeout: timeout) {
            lines.append(line)
        }
        return lines
    }

    private static func firstDifference(_ lines: [String], _ expected: [String]) -> String {
        guard let index = lines.indices.first(where: { $0 >= expected.count || lines[$0] != expected[$0] }) else {
            return "none, \(lines.count) of \(expected.count) lines"
        }
        return "line \(index): \(lines[index].prefix(40))…"
    }

    func testManyLinesQueuedInOnePassArriveIntactAndInOrder() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.linesPerSecond = 0 }
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        let carol = try await harness.login("carol")
        let count = 1500
        let texts = (0..<count).map { Self.text($0, longest: 700) }
        // One write: the server reads the lines a socket read at a time and fans each
        // out in the same loop pass, so a member's flush carries hundreds of them.
        try await alice.sendRaw(Array(texts.map { $0 + "\n" }.joined().utf8))
        let expected = texts.map { "MSG #lobby alice \($0)" }
        for reader in [bob, carol] {
            let lines = try await Self.read(count, from: reader)
            XCTAssertEqual(lines.count, count)
            XCTAssertTrue(lines == expected, "first difference at \(Self.firstDifference(lines, expected))")
        }
        for client in [alice, bob, carol] { await client.close() }
    }

    func testAStalledReaderGetsEveryLineIntactAndInOrderOnceItReads() async throws {
        // High enough that the stall is never cut off: the point is what it reads later.
        let harness = try await ServerHarness.start(for: self) {
            $0.maxOutboundQueueBytes = 16 << 20
            $0.linesPerSecond = 0
        }
        // Its socket takes only part of a write, and the channel keeps its records while
        // other members' flushes go on through the loop's shared buffers.
        let stalled = try await harness.loginStalledReader()
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")

        // ~5 MB: the kernel's buffers on loopback hold ~3 MB of it, so the server also
        // keeps lines for this reader over several passes (and compacts them).
        let count = 2500
        let texts = (0..<count).map { "\($0) " + String(repeating: "z", count: 1500 + ($0 * 37) % 1000) }
        for chunk in stride(from: 0, to: count, by: 100) {
            let lines = texts[chunk..<min(chunk + 100, count)].map { $0 + "\n" }.joined()
            try await alice.sendRaw(Array(lines.utf8))
        }
        let expected = texts.map { "MSG #lobby alice \($0)" }
        let fast = try await Self.read(count, from: bob)
        XCTAssertTrue(fast == expected, "the fast reader: first difference at \(Self.firstDifference(fast, expected))")

        try await stalled.resumeReading()
        let late = try await Self.read(count, from: stalled)
        XCTAssertEqual(late.count, count)
        XCTAssertTrue(late == expected, "the stalled reader: first difference at \(Self.firstDifference(late, expected))")
        for client in [alice, bob, stalled] { await client.close() }
    }
}
