import ChatCrypto
import ChatModel
import ChatStore
import Foundation
import Logging
import NIOCore
import NIOPosix
import XCTest

@testable import ChatServer
import ChatTestSupport

/// Last-login stamps are written in batches, not one write per login: they must still
/// reach the database (within a second, and at the latest when the server stops), never
/// bring back a deleted account, and never get in the way of a lock.
final class LoginRecordingTests: XCTestCase {
    func testLastLoginIsStoredWithinABatchInterval() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = UserName("alice")!
        XCTAssertNil(try harness.store.user(named: alice)?.lastLoginAt)
        let loggedIn = Date()

        let client = try await harness.login("alice")
        let stamp = try await waitForLastLogin(of: alice, in: harness.store, within: .seconds(5))
        XCTAssertEqual(stamp.timeIntervalSince(loggedIn), 0, accuracy: 5)
        XCTAssertFalse(harness.logs.joined.contains("could not record login times"))

        await client.close()
    }

    func testServerStopWritesPendingStamps() async throws {
        let harness = try await ServerHarness.start(for: self)
        let bob = try await harness.login("bob")
        let carol = try await harness.login("carol")

        // Straight away, well inside the batch interval.
        await harness.server.stop()
        XCTAssertNotNil(try harness.store.user(named: UserName("bob")!)?.lastLoginAt)
        XCTAssertNotNil(try harness.store.user(named: UserName("carol")!)?.lastLoginAt)
        XCTAssertNil(try harness.store.user(named: UserName("alice")!)?.lastLoginAt, "alice never logged in")

        await bob.close()
        await carol.close()
    }

    func testAccountDeletedWhileItsStampIsPendingStaysDeleted() async throws {
        let harness = try await ServerHarness.start(for: self)
        let client = try await harness.login("alice")
        await client.close()
        XCTAssertTrue(try harness.store.deleteUser(UserName("alice")!))

        await harness.server.stop()
        XCTAssertNil(try harness.store.user(named: UserName("alice")!))
        XCTAssertEqual(try harness.store.allUsers().map(\.name.display), ["bob", "carol"])
        XCTAssertFalse(harness.logs.joined.contains("could not record login times"), harness.logs.joined)
    }

    func testLockBetweenTwoLoginsRefusesTheSecond() async throws {
        let harness = try await ServerHarness.start(for: self)
        let first = try await harness.login("bob")
        await first.close()

        try harness.store.setLocked(true, for: UserName("bob")!)
        let second = try await harness.connect()
        try await second.send("/login bob bob-pw")
        try await expect(second, "ERR auth-failed invalid name or password")
        await second.close()

        try harness.store.setLocked(false, for: UserName("bob")!)
        let third = try await harness.login("bob")
        await third.close()
    }

    func testPasswordChangedByAnotherProcessBetweenTwoLoginsTakesEffect() async throws {
        let harness = try await ServerHarness.start(for: self)
        let first = try await harness.login("carol")
        await first.close()

        let tool = try SQLiteStore(path: harness.databasePath)
        try tool.setPasswordHash(try PasswordHasher(cost: .minimum).hash("carol-new"), for: UserName("carol")!)
        try tool.close()
        let old = try await harness.connect()
        try await old.send("/login carol carol-pw")
        try await expect(old, "ERR auth-failed invalid name or password")
        await old.close()
        let new = try await harness.login("carol", "carol-new")
        await new.close()
    }

    /// The recorder on its own: one write per interval holding every login since the
    /// last, the latest time per account, and the rest on shutdown.
    func testRecorderBatchesAndKeepsTheLatestTimePerAccount() async throws {
        let directory = try makeTemporaryDirectory()
        let store = try SQLiteStore(path: directory.appendingPathComponent("users.db").path)
        for name in ["alice", "bob"] {
            try store.addUser(UserName(name)!, passwordHash: "h")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // Long enough that a busy test machine checks "not yet written" well inside it.
        let recorder = LoginRecorder(accounts: store, interval: .seconds(1), logger: Logger(label: "test"))
        let alice = UserName("alice")!
        let bob = UserName("bob")!
        let early = Date(timeIntervalSince1970: 1_800_000_000)
        let late = Date(timeIntervalSince1970: 1_800_000_060)

        recorder.record(alice, at: early, timingOn: group.next())
        recorder.record(alice, at: late, timingOn: group.next())
        recorder.record(UserName("nobody")!, at: late, timingOn: group.next())
        XCTAssertNil(try store.user(named: alice)?.lastLoginAt, "written at once, not batched")
        let stamp = try await waitForLastLogin(of: alice, in: store, within: .seconds(5))
        XCTAssertEqual(stamp.timeIntervalSince1970, late.timeIntervalSince1970, accuracy: 0.001)

        recorder.record(bob, at: early, timingOn: group.next())
        await recorder.shutdown()
        let bobStamp = try XCTUnwrap(try store.user(named: bob)?.lastLoginAt)
        XCTAssertEqual(bobStamp.timeIntervalSince1970, early.timeIntervalSince1970, accuracy: 0.001)
        XCTAssertNil(try store.user(named: UserName("nobody")!))

        try store.close()
        try await group.shutdownGracefully()
    }

    private func waitForLastLogin(
        of user: UserName,
        in store: SQLiteStore,
        within limit: Duration,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> Date {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let stamp = try store.user(named: user)?.lastLoginAt { return stamp }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTFail("no last-login time for \(user) after \(limit)", file: file, line: line)
        throw CancellationError()
    }
}
