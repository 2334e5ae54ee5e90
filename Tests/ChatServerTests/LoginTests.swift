import ChatCrypto
import ChatModel
import ChatProtocol
import ChatServer
import ChatStore
import ChatTestSupport
import XCTest

final class LoginTests: XCTestCase {
    func testLoginPutsTheSessionInTheLobby() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        try await alice.send("/who")
        try await expect(alice, "USERS #lobby alice")
        try await alice.send("/rooms")
        try await expect(alice, "ROOMS #lobby")
        await alice.close()
    }

    func testUnknownUserWrongPasswordAndLockedAccountGetTheSameReply() async throws {
        let harness = try await ServerHarness.start(for: self)
        try harness.store.setLocked(true, for: UserName("carol")!)
        let client = try await harness.connect()

        try await client.send("/login alice wrong password")
        let wrongPassword = try await client.nextLine()
        try await client.send("/login nobody whatever")
        let unknownUser = try await client.nextLine()
        let other = try await harness.connect()
        try await other.send("/login carol carol-pw")
        let locked = try await other.nextLine()

        XCTAssertEqual(wrongPassword, "ERR auth-failed invalid name or password")
        XCTAssertEqual(unknownUser, wrongPassword)
        XCTAssertEqual(locked, wrongPassword)
        // The log says why, for the operator, with the peer's address and the name.
        let logs = harness.logs.joined
        XCTAssertTrue(logs.contains("login failed") && logs.contains("reason=wrong password") && logs.contains("user=alice"))
        XCTAssertTrue(logs.contains("reason=no such user") && logs.contains("user=nobody"))
        XCTAssertTrue(logs.contains("reason=account locked"))
        XCTAssertTrue(logs.contains("peer=127.0.0.1:"))
        await client.close()
        await other.close()
    }

    /// A failed name goes into the log line, which an operator reads and fail2ban
    /// parses: look-alike letters and piles of combining marks must not pass as they are.
    func testFailedNamesAreLoggedAsShortASCII() async throws {
        let harness = try await ServerHarness.start(for: self)
        let client = try await harness.connect()
        try await client.send("/login \u{430}lice whatever")
        try await expect(client, "ERR auth-failed invalid name or password")
        try await client.send("/login a\(String(repeating: "\u{301}", count: 1_000)) whatever")
        try await expect(client, "ERR auth-failed invalid name or password")

        let failures = harness.logs.all.filter { $0.contains("login failed") }
        XCTAssertEqual(failures.count, 2)
        XCTAssertTrue(failures[0].contains("user=?lice"), failures[0])
        XCTAssertTrue(failures.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) }, "\(failures)")
        XCTAssertLessThan(failures[1].utf8.count, 400, failures[1])
        await client.close()
    }

    func testThirdFailureSaysByeAndCloses() async throws {
        let harness = try await ServerHarness.start(for: self)
        let client = try await harness.connect()
        for attempt in 1...2 {
            try await client.send("/login alice guess\(attempt)")
            try await expect(client, prefix: "ERR auth-failed ")
        }
        try await client.send("/login alice guess3")
        let rest = try await client.linesUntilClosed()
        XCTAssertEqual(rest, ["ERR auth-failed invalid name or password", "BYE too many failed logins"])
    }

    func testBeforeLoginOnlyLoginPingHelpAndQuitAreAccepted() async throws {
        let harness = try await ServerHarness.start(for: self)
        let client = try await harness.connect()
        for line in ["hello", "/join #rust", "/who", "/rooms", "/msg bob hi", "/say #lobby x", "/leave #lobby", "/passwd a b", "/frobnicate", "/join bad"] {
            try await client.send(line)
            try await expect(client, prefix: "ERR login-required ")
        }
        try await client.send("/ping abc")
        try await expect(client, "PONG abc")
        try await client.send("/ping")
        try await expect(client, "PONG")
        try await client.send("/help")
        for help in HelpText.lines {
            try await expect(client, "INFO \(help)")
        }
        try await client.send("/login")
        try await expect(client, prefix: "ERR bad-arguments ")
        try await client.send("/quit see you")
        let rest = try await client.linesUntilClosed()
        XCTAssertEqual(rest, ["BYE see you"])
    }

    func testPasswordsWithSpacesUnicodeAndLengthWork() async throws {
        let long = String(repeating: "pässwörd ", count: 120)  // > 1,000 bytes
        let users = [("dora", "correct horse battery staple"), ("lena", "😀 🔑 ключ"), ("max", long)]
        let harness = try await ServerHarness.start(for: self, users: users)
        for (name, password) in users {
            let client = try await harness.login(name, password)
            await client.close()
        }
        let client = try await harness.connect()
        try await client.send("/login lena 😀 🔑 ключ ")  // trailing space is part of the password
        try await expect(client, prefix: "ERR auth-failed ")
        await client.close()
        XCTAssertFalse(harness.logs.joined.contains("horse"), "a password reached the log")
        XCTAssertFalse(harness.logs.joined.contains("ключ"), "a password reached the log")
    }

    func testRealInteractiveCostLoginUpgradesAWeakerHash() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.passwordCost = .interactive }
        let interactive = PasswordHasher(cost: .interactive)
        let before = try XCTUnwrap(harness.store.user(named: UserName("bob")!))
        XCTAssertTrue(interactive.needsRehash(before.passwordHash))

        let bob = try await harness.login("bob")
        let after = try XCTUnwrap(harness.store.user(named: UserName("bob")!))
        XCTAssertFalse(interactive.needsRehash(after.passwordHash), "hash was not upgraded at login")
        XCTAssertTrue(interactive.verify("bob-pw", against: after.passwordHash))
        XCTAssertNotNil(after.lastLoginAt)
        await bob.close()

        // The upgraded hash still logs in.
        let again = try await harness.login("bob")
        await again.close()
    }

    func testAccountAddedWithChatUseraddWhileRunningLogsInAtOnce() async throws {
        let harness = try await ServerHarness.start(for: self, users: [])
        let client = try await harness.connect()
        try await client.send("/login dave dave-pw")
        try await expect(client, prefix: "ERR auth-failed ")

        // The real admin tool, writing to the file the server has open.
        let useradd = try LifecycleTests.productsDirectory.appendingPathComponent("chat-useradd").path
        let added = try await ChildProcess.run(
            useradd,
            ["--db", harness.databasePath, "--cost", "minimum", "--password-stdin", "dave"],
            input: [.line("dave-pw", pause: .zero)]
        )
        XCTAssertEqual(added.status, 0, added.standardError)
        try await client.send("/login dave dave-pw")
        try await expect(client, "OK login dave")

        // Locking counts at the next login too.
        let locked = try await ChildProcess.run(useradd, ["lock", "--db", harness.databasePath, "dave"])
        XCTAssertEqual(locked.status, 0, locked.standardError)
        let again = try await harness.connect()
        try await again.send("/login dave dave-pw")
        try await expect(again, prefix: "ERR auth-failed ")
        await client.close()
        await again.close()
    }

    func testPasswdChangesThePassword() async throws {
        let harness = try await ServerHarness.start(for: self)
        let bob = try await harness.login("bob")
        try await bob.send("/passwd wrong new-secret")
        try await expect(bob, prefix: "ERR auth-failed ")
        try await bob.send("/passwd bob-pw new secret with spaces")
        try await expect(bob, "OK passwd")
        try await bob.send("/passwd")
        try await expect(bob, prefix: "ERR bad-arguments ")
        await bob.close()

        let client = try await harness.connect()
        try await client.send("/login bob bob-pw")
        try await expect(client, prefix: "ERR auth-failed ")
        try await client.send("/login bob new secret with spaces")
        try await expect(client, "OK login bob")
        try await client.send("/login bob again")
        try await expect(client, prefix: "ERR bad-arguments ")
        await client.close()
    }

    func testFullPasswordCheckQueueAnswersBusy() async throws {
        // One hashing thread, no queue, and a deliberately slow cost: while the first
        // check runs, a second login cannot be admitted.
        let harness = try await ServerHarness.start(for: self) {
            $0.passwordCost = .moderate
            $0.hashingThreads = 1
            $0.maxQueuedPasswordChecks = 0
        }
        let first = try await harness.connect()
        let second = try await harness.connect()
        try await first.send("/login nobody pw")  // unknown users cost a full check too
        try await Task.sleep(for: .milliseconds(50))
        try await second.send("/login alice alice password")
        try await expect(second, prefix: "ERR busy ")
        try await expect(first, prefix: "ERR auth-failed ")
        // Busy is not a failed attempt, and the session is still usable.
        try await second.send("/login alice alice password")
        try await expect(second, "OK login alice")
        await first.close()
        await second.close()
    }
}
