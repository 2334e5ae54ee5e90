import ChatTestSupport
import NIOConcurrencyHelpers
import XCTest

/// Ordering and flow control under load, over real TLS.
final class DeliveryTests: XCTestCase {
    func testAllMembersSeeOneOrderAndNoSenderIsOvertaken() async throws {
        let users = (1...4).map { ("user\($0)", "pw\($0)") }
        // The rate limit would only delay the senders here; ordering is the point.
        let harness = try await ServerHarness.start(for: self, users: users) { $0.linesPerSecond = 0 }
        var clients: [TestLineClient] = []
        for (name, password) in users {
            clients.append(try await harness.login(name, password))
        }
        let (sender1, sender2, receiver1, receiver2) = (clients[0], clients[1], clients[2], clients[3])
        let count = 300
        async let first: Void = Self.send(count, from: sender1, tag: "a")
        async let second: Void = Self.send(count, from: sender2, tag: "b")
        _ = try await (first, second)

        var seen1: [String] = []
        var seen2: [String] = []
        for _ in 0..<(2 * count) {
            seen1.append(try await receiver1.nextLine() ?? "closed")
            seen2.append(try await receiver2.nextLine() ?? "closed")
        }
        XCTAssertEqual(seen1, seen2, "two members saw the room in different orders")
        for (tag, sender) in [("a", "user1"), ("b", "user2")] {
            let sequence = seen1.filter { $0.hasPrefix("MSG #lobby \(sender) ") }
            XCTAssertEqual(sequence, (0..<count).map { "MSG #lobby \(sender) \(tag)\($0)" })
        }
        for client in clients { await client.close() }
    }

    private static func send(_ count: Int, from client: TestLineClient, tag: String) async throws {
        for index in 0..<count {
            try await client.send("\(tag)\(index)")
        }
    }

    func testSlowReaderIsCutOffWhileOthersReceiveEverything() async throws {
        let harness = try await ServerHarness.start(for: self) {
            $0.maxOutboundQueueBytes = 32 * 1024
            $0.linesPerSecond = 0
        }
        let slow = try await harness.loginStalledReader()

        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")

        let payload = String(repeating: "z", count: 1000)
        let count = 3000  // ~3 MB towards the slow reader
        // Alice stays at most 20 lines (~20 KB, under the 32 KiB cap) ahead of bob,
        // so bob, however slow this machine makes the test's own client, never looks
        // like a stalled reader; carol, who reads nothing, falls further behind with
        // every line.
        let bobProgress = NIOLockedValueBox(0)
        let sender = Task {
            for index in 0..<count {
                while index - bobProgress.withLockedValue({ $0 }) > 20 {
                    try await Task.sleep(for: .milliseconds(1))
                }
                try await alice.send("\(index) \(payload)")
            }
        }
        var received = 0
        while received < count {
            guard let line = try await bob.nextLine(timeout: .seconds(30)) else { break }
            XCTAssertEqual(line, "MSG #lobby alice \(received) \(payload)")
            received += 1
            bobProgress.withLockedValue { $0 = received }
        }
        if received < count {
            // Bob stopped receiving: the sender would wait for him for good.
            sender.cancel()
        }
        _ = try? await sender.value
        XCTAssertEqual(received, count, "a fast reader lost messages")
        // Carol's account stays in #lobby (membership outlives connections), so
        // nobody sees her go; the server's log says why she was cut off.
        let cutOff = try await harness.waitForLog("slow consumer disconnected")
        XCTAssertTrue(cutOff)
        await alice.close()
        await bob.close()
        await slow.close()
    }
}
