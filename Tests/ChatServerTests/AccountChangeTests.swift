import ChatCrypto
import ChatModel
import ChatStore
import ChatTestSupport
import Foundation
import NIOCore
import XCTest

/// Account changes made while people are logged in: by `chat-useradd` (another
/// process, no signal) and by the user's own `/passwd`. The review found that a locked,
/// deleted or re-created account kept, or took over, live sessions.
final class AccountChangeTests: XCTestCase {
    private var harness: ServerHarness!

    private func useradd(_ arguments: [String], input: String? = nil) async throws {
        let tool = try BuiltProducts.path(of: "chat-useradd")
        let result = try await ChildProcess.run(
            tool,
            arguments,
            input: input.map { [.line($0, pause: .zero)] } ?? []
        )
        XCTAssertEqual(result.status, 0, result.standardError)
    }

    /// Reads until the server closes; the connection must end with `BYE <reason>`
    /// within two seconds of the change.
    private func expectEnded(
        _ client: TestLineClient,
        _ reason: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws {
        let lines = try await client.linesUntilClosed(timeout: .seconds(2))
        XCTAssertEqual(lines.last, "BYE \(reason)", "got \(lines)", file: file, line: line)
    }

    func testLockByChatUseraddEndsEverySessionOfTheAccountWithinTwoSeconds() async throws {
        harness = try await ServerHarness.start(for: self)
        let first = try await harness.login("carol")
        let second = try await harness.login("carol")
        let bob = try await harness.login("bob")

        try await useradd(["lock", "--db", harness.databasePath, "carol"])
        try await expectEnded(first, "account disabled")
        try await expectEnded(second, "account disabled")

        // Nobody else noticed: carol's account is still a member of #lobby.
        try await expectNothingPending(bob)
        let again = try await harness.connect()
        try await again.send("/login carol carol-pw")
        try await expect(again, "ERR auth-failed invalid name or password")
    }

    func testPasswordResetByChatUseraddEndsSessions() async throws {
        harness = try await ServerHarness.start(for: self)
        let carol = try await harness.login("carol")
        try await useradd(["passwd", "--db", harness.databasePath, "--cost", "minimum", "--password-stdin", "carol"], input: "carol-new")
        try await expectEnded(carol, "password changed")
        _ = try await harness.login("carol", "carol-new")
    }

    func testDeleteThenRecreateGivesTheOldSessionsNothingOfTheNewAccount() async throws {
        harness = try await ServerHarness.start(for: self)
        let oldCarol = try await harness.login("carol")
        try await useradd(["delete", "--db", harness.databasePath, "carol"])
        try await useradd(["--db", harness.databasePath, "--cost", "minimum", "--password-stdin", "carol"], input: "new-carol-pw")
        try await expectEnded(oldCarol, "account deleted")

        let newCarol = try await harness.login("carol", "new-carol-pw")
        let bob = try await harness.login("bob")
        try await bob.send("/msg carol for the new carol")
        try await expect(bob, "OK msg carol")
        try await expect(newCarol, "DM bob for the new carol")
    }

    /// With the feed read rarely, the commands that write account state must still
    /// refuse a session whose credentials are stale, and end it.
    func testStaleSessionCannotPublishAKeyForARecreatedName() async throws {
        harness = try await ServerHarness.start(for: self) { $0.accountCheckInterval = .seconds(3600) }
        let oldCarol = try await harness.login("carol")
        try harness.store.deleteUser(UserName("carol")!)
        try harness.store.addUser(UserName("carol")!, passwordHash: try PasswordHasher(cost: .minimum).hash("new-carol-pw"))

        let key = Data(repeating: 7, count: 32).base64EncodedString()
        try await oldCarol.send("/key set \(key)")
        try await expectEnded(oldCarol, "account deleted")
        XCTAssertNil(try harness.store.publicKey(for: UserName("carol")!), "the new carol has no key of the old session's")
    }

    func testLockedAccountsOpenSessionCannotChangeThePassword() async throws {
        harness = try await ServerHarness.start(for: self) { $0.accountCheckInterval = .seconds(3600) }
        let bob = try await harness.login("bob")
        try harness.store.setLocked(true, for: UserName("bob")!)
        try await bob.send("/passwd bob-pw bob-new")
        try await expectEnded(bob, "account disabled")
        let record = try XCTUnwrap(try harness.store.user(named: UserName("bob")!))
        XCTAssertTrue(PasswordHasher(cost: .minimum).verify("bob-pw", against: record.passwordHash), "password unchanged")
    }

    func testOwnPasswordChangeKeepsThisSessionAndEndsTheOthers() async throws {
        harness = try await ServerHarness.start(for: self)
        let here = try await harness.login("bob")
        let elsewhere = try await harness.login("bob")
        try await here.send("/passwd bob-pw bob-new-pw")
        try await expect(here, "OK passwd")
        try await expectEnded(elsewhere, "password changed")

        // Still in, after the change feed has been read a few times.
        try await Task.sleep(for: .milliseconds(1_500))
        try await expectNothingPending(here)
        _ = try await harness.login("bob", "bob-new-pw")
    }

    func testGuessingTheCurrentPasswordEndsTheSession() async throws {
        harness = try await ServerHarness.start(for: self) { $0.loginPenaltyBase = .zero }
        let bob = try await harness.login("bob")
        for _ in 1...2 {
            try await bob.send("/passwd wrong-guess x")
            try await expect(bob, "ERR auth-failed current password is wrong")
        }
        try await bob.send("/passwd wrong-guess x")
        let lines = try await bob.linesUntilClosed()
        XCTAssertEqual(lines, ["ERR auth-failed current password is wrong", "BYE too many failed password checks"])
    }

    func testWrongCurrentPasswordsPenaliseLaterLoginsLikeFailedLogins() async throws {
        harness = try await ServerHarness.start(for: self) { $0.loginPenaltyBase = .milliseconds(50) }
        let bob = try await harness.login("bob")
        try await bob.send("/passwd wrong-guess x")
        try await expect(bob, "ERR auth-failed current password is wrong")
        XCTAssertFalse(harness.logs.joined.contains("login delayed by recent failures"))
        _ = try await harness.login("bob")
        XCTAssertTrue(harness.logs.joined.contains("login delayed by recent failures"), "the failed /passwd counts for the account")
    }

    /// Sessions hammering `/passwd` must leave logins a share of the hashing pool.
    func testPasswordChangesCannotStarveLogins() async throws {
        harness = try await ServerHarness.start(for: self) {
            $0.hashingThreads = 2
            $0.maxQueuedPasswordChecks = 2
            $0.loginPenaltyBase = .zero
        }
        // A password at the default cost makes each check take ~100 ms of a thread.
        try harness.store.addUser(UserName("dave")!, passwordHash: try PasswordHasher(cost: .interactive).hash("dave-pw"))
        var daves: [TestLineClient] = []
        for _ in 1...6 {
            daves.append(try await harness.login("dave", "dave-pw"))
        }
        for dave in daves {
            try await dave.send("/passwd wrong-guess x")
        }
        let alice = try await harness.connect()
        try await alice.send("/login alice alice password")
        try await expect(alice, "OK login alice")
    }
}
