import ChatModel
import ChatServer
import ChatStore
import ChatTestSupport
import Foundation
import XCTest

/// The pruning pass of a running server: by age and by count per conversation, on its
/// timer, seen through `/history` and offline delivery.
final class RetentionTests: XCTestCase {
    func testPruningRemovesWhatIsTooOldAndWhatIsBeyondTheCount() async throws {
        let harness = try await ServerHarness.start(for: self) { configuration in
            configuration.retention = RetentionPolicy(maxAge: 86_400, maxPerConversation: 3)
            configuration.pruneInterval = .milliseconds(100)
        }
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        let aliceAccount = try XCTUnwrap(try harness.store.user(named: UserName("alice")!)).credential.account
        let carolAccount = try XCTUnwrap(try harness.store.user(named: UserName("carol")!)).credential.account

        // Written two days ago, as a store the server opens after a holiday holds them:
        // two lobby messages and a DM waiting for carol. Fewer than three per
        // conversation, so only their age removes them.
        let twoDaysAgo = Date().addingTimeInterval(-2 * 86_400)
        _ = try await harness.store.append(
            ["old one", "old two"].map {
                NewEvent(conversation: .room(.lobby), sender: aliceAccount, senderName: UserName("alice")!, text: $0, sentAt: twoDaysAgo)
            })
        let oldDM = NewEvent(
            conversation: .direct(aliceAccount, carolAccount), sender: aliceAccount, senderName: UserName("alice")!, text: "old dm",
            sentAt: twoDaysAgo)
        let queued = try await harness.store.enqueueOffline(oldDM, for: carolAccount)
        guard case .queued = queued else { return XCTFail("not queued: \(queued)") }
        try await waitUntilPruned(harness, total: 3)
        try await XCTAssertEqualAsync(try await history(of: "#lobby", for: alice), [])
        let carol = try await harness.login("carol")
        try await expectNothingPending(carol)

        // Five new messages: the newest three stay.
        for index in 1...5 {
            try await alice.send("new \(index)")
            try await expect(bob, "MSG #lobby alice new \(index)")
        }
        try await waitUntilPruned(harness, total: 5)
        // One more pass, which must find nothing more to remove.
        let passes = prunePasses(harness).count
        try await waitFor { self.prunePasses(harness).count > passes }
        XCTAssertEqual(prunePasses(harness).reduce(0, +), 5)
        try await XCTAssertEqualAsync(
            try await history(of: "#lobby", for: bob), ["alice new 3", "alice new 4", "alice new 5"])
        for client in [alice, bob, carol] { await client.close() }
    }

    /// A reload applies a shorter retention from the next pass.
    func testAReloadedMaximumCountAppliesAtTheNextPass() async throws {
        let harness = try await ServerHarness.start(for: self) { configuration in
            configuration.retention = RetentionPolicy(maxAge: 86_400, maxPerConversation: 10)
            configuration.pruneInterval = .milliseconds(100)
        }
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        for index in 1...4 {
            try await alice.send("message \(index)")
            // Delivered, so stored.
            try await expect(bob, "MSG #lobby alice message \(index)")
        }
        try await XCTAssertEqualAsync(try await history(of: "#lobby", for: alice).count, 4)
        var shorter = harness.server.configuration
        shorter.retention.maxPerConversation = 2
        XCTAssertTrue(harness.server.reload(to: shorter))
        try await waitUntilPruned(harness, total: 2)
        try await XCTAssertEqualAsync(try await history(of: "#lobby", for: alice), ["alice message 3", "alice message 4"])
        await alice.close()
        await bob.close()
    }

    // MARK: Helpers

    /// `removed` of every "history pruned" line so far, one per pass.
    private func prunePasses(_ harness: ServerHarness) -> [Int] {
        harness.logs.all.filter { $0.contains("history pruned") }.compactMap { line in
            line.firstMatch(of: /removed=(\d+)/).flatMap { Int($0.1) }
        }
    }

    private func waitUntilPruned(_ harness: ServerHarness, total: Int, file: StaticString = #filePath, line: UInt = #line) async throws {
        try await waitFor(file: file, line: line) { self.prunePasses(harness).reduce(0, +) >= total }
        XCTAssertEqual(prunePasses(harness).reduce(0, +), total, "pruned more than expected", file: file, line: line)
    }

    private func waitFor(
        timeout: Duration = .seconds(10),
        file: StaticString = #filePath,
        line: UInt = #line,
        _ condition: () -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else {
                return XCTFail("condition not met within \(timeout)", file: file, line: line)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// `/history <room> 1000` as "<sender> <text>" lines, oldest first.
func history(of room: String, for client: TestLineClient, file: StaticString = #filePath, line: UInt = #line) async throws -> [String] {
    try await client.send("/history \(room) 1000")
    var lines: [String] = []
    while let next = try await client.nextLine() {
        if next.hasPrefix("OK history ") {
            XCTAssertEqual(next, "OK history \(room) \(lines.count)", file: file, line: line)
            return lines
        }
        // HISTORY <room> <time> <sender> <text>
        let parts = next.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "HISTORY", parts[1] == room else {
            XCTFail("unexpected line: \(next)", file: file, line: line)
            return lines
        }
        lines.append(String(parts[3]))
    }
    XCTFail("connection closed during /history", file: file, line: line)
    return lines
}

func XCTAssertEqualAsync<T: Equatable>(
    _ expression: @autoclosure () async throws -> T,
    _ expected: T,
    file: StaticString = #filePath,
    line: UInt = #line
) async throws {
    let value = try await expression()
    XCTAssertEqual(value, expected, file: file, line: line)
}
