import ChatCrypto
import ChatStore
import Foundation
import XCTest

final class SQLiteStoreTests: XCTestCase {
    private var directory = URL(fileURLWithPath: "/nonexistent")
    private var path: String { directory.appendingPathComponent("db/users.db").path }

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory()
    }

    private func inDirectory(_ relative: String) -> String {
        directory.appendingPathComponent(relative).path
    }

    private func name(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> UserName {
        try XCTUnwrap(UserName(text), file: file, line: line)
    }

    func testAddAndGetIgnoringCase() throws {
        let store = try SQLiteStore(path: path)
        let before = Date()
        try store.addUser(try name("Alice"), passwordHash: "hash-a")

        let record = try XCTUnwrap(try store.user(named: try name("aLiCe")))
        XCTAssertEqual(record.name.display, "Alice", "spelling kept as created")
        XCTAssertEqual(record.passwordHash, "hash-a")
        XCTAssertFalse(record.isLocked)
        XCTAssertNil(record.lastLoginAt)
        XCTAssertEqual(record.createdAt.timeIntervalSince1970, before.timeIntervalSince1970, accuracy: 5)
        XCTAssertEqual(record.createdAt, record.updatedAt)
        XCTAssertNil(try store.user(named: try name("bob")))
    }

    func testDuplicateInAnyCaseIsRejected() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(try name("alice"), passwordHash: "first")
        XCTAssertThrowsError(try store.addUser(try name("ALICE"), passwordHash: "second")) { error in
            XCTAssertEqual(error as? StoreError, .duplicateUser("ALICE"))
        }
        XCTAssertEqual(try store.user(named: try name("alice"))?.passwordHash, "first")
        XCTAssertEqual(try store.allUsers().count, 1)
    }

    func testDelete() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(try name("alice"), passwordHash: "h")
        XCTAssertTrue(try store.deleteUser(try name("ALICE")))
        XCTAssertNil(try store.user(named: try name("alice")))
        XCTAssertFalse(try store.deleteUser(try name("alice")), "already gone")
        // The name is free again.
        try store.addUser(try name("Alice"), passwordHash: "h2")
    }

    func testLockAndUnlock() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(try name("alice"), passwordHash: "h")
        let created = try XCTUnwrap(try store.user(named: try name("alice")))

        XCTAssertTrue(try store.setLocked(true, for: try name("Alice")))
        let locked = try XCTUnwrap(try store.user(named: try name("alice")))
        XCTAssertTrue(locked.isLocked)
        XCTAssertGreaterThanOrEqual(locked.updatedAt, created.updatedAt)

        XCTAssertTrue(try store.setLocked(false, for: try name("alice")))
        XCTAssertEqual(try store.user(named: try name("alice"))?.isLocked, false)

        XCTAssertFalse(try store.setLocked(true, for: try name("nobody")))
    }

    func testSetPasswordHash() throws {
        let store = try SQLiteStore(path: path)
        let hasher = PasswordHasher(cost: .minimum)
        try store.addUser(try name("alice"), passwordHash: try hasher.hash("old"))

        XCTAssertTrue(try store.setPasswordHash(try hasher.hash("new"), for: try name("ALICE")))
        let stored = try XCTUnwrap(try store.user(named: try name("alice"))).passwordHash
        XCTAssertTrue(hasher.verify("new", against: stored))
        XCTAssertFalse(hasher.verify("old", against: stored))

        XCTAssertFalse(try store.setPasswordHash("h", for: try name("nobody")))
    }

    func testRecordLogin() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(try name("alice"), passwordHash: "h")
        let before = try XCTUnwrap(try store.user(named: try name("alice")))
        let when = Date(timeIntervalSince1970: 1_800_000_000.25)

        try store.recordLogin(try name("ALICE"), at: when)
        let after = try XCTUnwrap(try store.user(named: try name("alice")))
        let lastLogin = try XCTUnwrap(after.lastLoginAt)
        XCTAssertEqual(lastLogin.timeIntervalSince1970, when.timeIntervalSince1970, accuracy: 0.001)
        XCTAssertEqual(after.updatedAt, before.updatedAt, "a login is not an account change")

        try store.recordLogin(try name("alice"))
        let latest = try XCTUnwrap(try store.user(named: try name("alice"))?.lastLoginAt)
        XCTAssertEqual(latest.timeIntervalSinceNow, 0, accuracy: 5, "defaults to now")

        // Unknown users are ignored: the account may have been deleted meanwhile.
        try store.recordLogin(try name("nobody"))
    }

    func testRecordLoginsWritesEachAccountsOwnTimeAndSkipsDeletedOnes() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(try name("alice"), passwordHash: "h")
        try store.addUser(try name("Bob"), passwordHash: "h")
        let aliceAt = Date(timeIntervalSince1970: 1_800_000_000.5)
        let bobAt = Date(timeIntervalSince1970: 1_800_000_100.75)

        // "gone" was deleted after logging in: no error, and no account made for it.
        try store.recordLogins([try name("alice"): aliceAt, try name("BOB"): bobAt, try name("gone"): bobAt])
        let alice = try XCTUnwrap(try store.user(named: try name("alice"))?.lastLoginAt)
        let bob = try XCTUnwrap(try store.user(named: try name("bob")))
        XCTAssertEqual(alice.timeIntervalSince1970, aliceAt.timeIntervalSince1970, accuracy: 0.001)
        XCTAssertEqual(try XCTUnwrap(bob.lastLoginAt).timeIntervalSince1970, bobAt.timeIntervalSince1970, accuracy: 0.001)
        XCTAssertEqual(bob.name.display, "Bob", "the stamp keeps the spelling chosen at creation")
        XCTAssertNil(try store.user(named: try name("gone")))
        XCTAssertEqual(try store.allUsers().count, 2)

        try store.recordLogins([:])
    }

    func testUpgradePasswordHashStampsTheLoginAndIsAnAccountChange() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(try name("alice"), passwordHash: "old")
        let before = try XCTUnwrap(try store.user(named: try name("alice")))
        let when = Date(timeIntervalSince1970: 1_900_000_000)

        XCTAssertTrue(try store.upgradePasswordHash("new", for: try name("Alice"), loggedInAt: when))
        let after = try XCTUnwrap(try store.user(named: try name("alice")))
        XCTAssertEqual(after.passwordHash, "new")
        XCTAssertEqual(try XCTUnwrap(after.lastLoginAt).timeIntervalSince1970, when.timeIntervalSince1970, accuracy: 0.001)
        XCTAssertGreaterThanOrEqual(after.updatedAt, before.updatedAt)
        XCTAssertFalse(try store.upgradePasswordHash("new", for: try name("nobody")))
        XCTAssertNil(try store.user(named: try name("nobody")))
    }

    func testAllUsersOrderedByKey() throws {
        let store = try SQLiteStore(path: path)
        XCTAssertEqual(try store.allUsers(), [])
        for text in ["charlie", "Bob", "alice", "Dave", "bob2"] {
            try store.addUser(try name(text), passwordHash: "h-\(text)")
        }
        let names = try store.allUsers().map(\.name.display)
        XCTAssertEqual(names, ["alice", "Bob", "bob2", "charlie", "Dave"])
    }

    func testNewFilesArePrivate() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(try name("alice"), passwordHash: "h")

        XCTAssertEqual(try posixPermissions(path), 0o600)
        // WAL mode: SQLite made these with the main file's mode.
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            XCTAssertEqual(try posixPermissions(path + suffix), 0o600, suffix)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "-wal"), "WAL mode")
    }

    func testParentDirectoriesAreCreatedPrivate() throws {
        let nested = inDirectory("a/b/c/users.db")
        _ = try SQLiteStore(path: nested)
        XCTAssertTrue(FileManager.default.fileExists(atPath: nested))
        XCTAssertEqual(try posixPermissions(inDirectory("a/b/c")), 0o700)
        XCTAssertEqual(try posixPermissions(inDirectory("a")), 0o700)
    }

    func testReopeningKeepsData() throws {
        do {
            let store = try SQLiteStore(path: path)
            try store.addUser(try name("alice"), passwordHash: "h")
            try store.setLocked(true, for: try name("alice"))
        }
        let reopened = try SQLiteStore(path: path)
        let record = try XCTUnwrap(try reopened.user(named: try name("alice")))
        XCTAssertTrue(record.isLocked)
        XCTAssertEqual(try reopened.allUsers().count, 1)
    }

    /// What the server and chat-useradd do: two handles on one file, each seeing the
    /// other's committed writes at its next call (the server's look-up reuses a
    /// prepared statement per connection; it must still read the file as it is now).
    func testTwoStoresSeeEachOthersWrites() throws {
        let server = try SQLiteStore(path: path)
        let tool = try SQLiteStore(path: path)
        // The server has read (and so opened its reader connections) before the tool writes.
        XCTAssertNil(try server.user(named: try name("alice")))

        try tool.addUser(try name("alice"), passwordHash: "h1")
        XCTAssertEqual(try server.user(named: try name("alice"))?.passwordHash, "h1")

        try tool.setLocked(true, for: try name("alice"))
        XCTAssertEqual(try server.user(named: try name("alice"))?.isLocked, true)

        try tool.setPasswordHash("h2", for: try name("alice"))
        XCTAssertEqual(try server.user(named: try name("alice"))?.passwordHash, "h2")

        try server.recordLogin(try name("alice"))
        XCTAssertNotNil(try tool.user(named: try name("alice"))?.lastLoginAt)

        XCTAssertThrowsError(try server.addUser(try name("Alice"), passwordHash: "h2"))
        try tool.deleteUser(try name("alice"))
        XCTAssertNil(try server.user(named: try name("alice")))
    }

    func testConcurrentOpeningOfANewFile() throws {
        let target = path
        let failures = ErrorLog()
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            do {
                let store = try SQLiteStore(path: target)
                try store.addUser(try XCTUnwrap(UserName("user\(index)")), passwordHash: "h")
            } catch {
                failures.append(error)
            }
        }
        XCTAssertEqual(failures.messages, [])
        XCTAssertEqual(try SQLiteStore(path: target).allUsers().count, 4)
    }

    func testPathUnderARegularFileIsUnusable() throws {
        let file = inDirectory("plain-file")
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: file))
        let bad = file + "/sub/users.db"
        XCTAssertThrowsError(try SQLiteStore(path: bad)) { error in
            guard case .unusableDatabase(let path, let reason) = error as? StoreError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(path, bad)
            XCTAssertTrue(reason.contains("Not a directory"), reason)
            XCTAssertFalse(reason.contains("\n"))
        }
    }

    func testNonDatabaseFileIsUnusable() throws {
        let file = inDirectory("notes.txt")
        try Data(String(repeating: "this is not SQLite\n", count: 100).utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try SQLiteStore(path: file)) { error in
            guard case .unusableDatabase(_, let reason) = error as? StoreError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertFalse(reason.isEmpty)
            XCTAssertFalse(reason.contains("\n"))
        }
    }

    func testDirectoryAsPathIsUnusable() throws {
        XCTAssertThrowsError(try SQLiteStore(path: directory.path)) { error in
            guard case .unusableDatabase = error as? StoreError else {
                return XCTFail("unexpected \(error)")
            }
        }
    }

    func testEmptyPathIsUnusable() {
        XCTAssertThrowsError(try SQLiteStore(path: "")) { error in
            XCTAssertEqual(error as? StoreError, .unusableDatabase(path: "", reason: "not a file path"))
        }
    }

    func testErrorDescriptions() {
        XCTAssertEqual(StoreError.duplicateUser("bob").description, "user bob already exists")
        XCTAssertEqual(
            StoreError.unusableDatabase(path: "/x.db", reason: "Permission denied").description,
            "cannot use database /x.db: Permission denied"
        )
    }
}

/// Collects errors from concurrent closures; the lock makes it safe to share.
private final class ErrorLog: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    func append(_ error: any Error) {
        lock.withLock { collected.append(String(describing: error)) }
    }

    var messages: [String] {
        lock.withLock { collected }
    }
}
