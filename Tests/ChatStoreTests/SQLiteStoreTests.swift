import ChatModel
import ChatStore
import ChatTestSupport
import Foundation
import NIOConcurrencyHelpers
import XCTest

/// What only the SQLite store has to do: its file, its permissions, its mode, and
/// two processes on one file. The behaviour every store shares is in
/// `AccountStoreConformance`.
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

    /// What the server and chat-useradd do: two handles on one file, the tool's
    /// blocking calls on one and the server's async calls on the other, each seeing
    /// the other's committed writes at its next call (the server's look-up reuses a
    /// prepared statement per connection; it must still read the file as it is now).
    func testTwoStoresSeeEachOthersWrites() async throws {
        let server = try SQLiteStore(path: path)
        let tool = try SQLiteStore(path: path)
        let alice = try name("alice")
        // The server has read (and so opened its reader connections) before the tool writes.
        var seen = try await server.account(named: alice)
        XCTAssertNil(seen)

        try tool.addUser(alice, passwordHash: "h1")
        seen = try await server.account(named: alice)
        XCTAssertEqual(seen?.passwordHash, "h1")
        let start = try await server.latestAccountChange()

        try tool.setLocked(true, for: alice)
        seen = try await server.account(named: alice)
        XCTAssertEqual(seen?.isLocked, true)

        try tool.setPasswordHash("h2", for: alice)
        seen = try await server.account(named: alice)
        XCTAssertEqual(seen?.passwordHash, "h2")
        let changes = try await server.accountChanges(after: start)
        XCTAssertEqual(changes.count, 2, "the tool's changes are in the server's feed")

        try await server.recordLogins([alice: Date()])
        XCTAssertNotNil(try tool.user(named: alice)?.lastLoginAt)
        try tool.recordLogin(alice, at: Date(timeIntervalSince1970: 1_800_000_000))
        seen = try await server.account(named: alice)
        XCTAssertEqual(seen?.lastLoginAt, Date(timeIntervalSince1970: 1_800_000_000))

        do {
            try await server.addAccount(try name("Alice"), passwordHash: "h3")
            XCTFail("the server added a second alice")
        } catch {
            XCTAssertEqual(error as? StoreError, .duplicateUser("Alice"))
        }
        XCTAssertThrowsError(try tool.addUser(try name("ALICE"), passwordHash: "h3")) { error in
            XCTAssertEqual(error as? StoreError, .duplicateUser("ALICE"))
        }
        XCTAssertTrue(try tool.deleteUser(alice))
        seen = try await server.account(named: alice)
        XCTAssertNil(seen)
        XCTAssertEqual(try tool.allUsers(), [])
        try server.close()
        try tool.close()
    }

    func testConcurrentOpeningOfANewFile() throws {
        let target = path
        let failures = NIOLockedValueBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            do {
                let store = try SQLiteStore(path: target)
                try store.addUser(try XCTUnwrap(UserName("user\(index)")), passwordHash: "h")
            } catch {
                failures.withLockedValue { $0.append(String(describing: error)) }
            }
        }
        XCTAssertEqual(failures.withLockedValue { $0 }, [])
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
