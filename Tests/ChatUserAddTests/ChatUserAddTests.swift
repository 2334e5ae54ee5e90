import ChatCrypto
import ChatModel
import ChatStore
import ChatTestSupport
import Foundation
import XCTest

/// Drives the real binary against a real database in a temporary directory. Every
/// run uses `--cost minimum` so the suite stays fast.
final class ChatUserAddTests: XCTestCase {
    private var directory = URL(fileURLWithPath: "/nonexistent")
    private var db: String { directory.appendingPathComponent("users.db").path }
    private let hasher = PasswordHasher(cost: .minimum)

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory()
    }

    // MARK: helpers

    private func run(
        _ arguments: [String], stdin: String = "", file: StaticString = #filePath, line: UInt = #line
    ) throws -> ToolResult {
        try ToolRunner.run(arguments, stdin: Data(stdin.utf8), file: file, line: line)
    }

    private func add(
        _ name: String, password: String, file: StaticString = #filePath, line: UInt = #line
    ) throws -> ToolResult {
        try run(["--db", db, "--cost", "minimum", "--password-stdin", name], stdin: password + "\n", file: file, line: line)
    }

    private func stored(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> UserRecord? {
        try SQLiteStore(path: db).user(named: try XCTUnwrap(UserName(name), file: file, line: line))
    }

    // MARK: add

    func testAddWithPasswordFromStdin() throws {
        let result = try add("alice", password: "correct horse battery staple")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "added user alice\n")
        XCTAssertEqual(result.stderr, "")

        let record = try XCTUnwrap(try stored("ALICE"))
        XCTAssertEqual(record.name.display, "alice")
        XCTAssertFalse(record.isLocked)
        XCTAssertTrue(hasher.verify("correct horse battery staple", against: record.passwordHash))
        XCTAssertFalse(hasher.verify("correct horse battery", against: record.passwordHash))
    }

    func testExplicitAddSubcommand() throws {
        let result = try run(["add", "--db", db, "--cost", "minimum", "--password-stdin", "Bob"], stdin: "pw\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "added user Bob\n")
        XCTAssertEqual(try stored("bob")?.name.display, "Bob")
    }

    func testCostMinimumIsStoredInTheHash() throws {
        XCTAssertEqual(try add("alice", password: "pw").status, 0)
        let hash = try XCTUnwrap(try stored("alice")).passwordHash
        XCTAssertTrue(hash.hasPrefix("$argon2id$v=19$m=8,t=1,"), "minimum cost: 8 KiB, one pass")
        XCTAssertFalse(hasher.needsRehash(hash))
        XCTAssertTrue(PasswordHasher(cost: .interactive).needsRehash(hash))
    }

    func testPasswordStdinReadsOneLineAndStripsLineEnd() throws {
        XCTAssertEqual(try run(["--db", db, "--cost", "minimum", "--password-stdin", "crlf"], stdin: "secret\r\n").status, 0)
        let crlf = try XCTUnwrap(try stored("crlf")).passwordHash
        XCTAssertTrue(hasher.verify("secret", against: crlf))

        XCTAssertEqual(try run(["--db", db, "--cost", "minimum", "--password-stdin", "two"], stdin: "first\nsecond\n").status, 0)
        XCTAssertTrue(hasher.verify("first", against: try XCTUnwrap(try stored("two")).passwordHash))

        // No trailing newline at all: EOF ends the line.
        XCTAssertEqual(try run(["--db", db, "--cost", "minimum", "--password-stdin", "eof"], stdin: "bare").status, 0)
        XCTAssertTrue(hasher.verify("bare", against: try XCTUnwrap(try stored("eof")).passwordHash))

        // Only one "\r" is removed; spaces are kept.
        XCTAssertEqual(try run(["--db", db, "--cost", "minimum", "--password-stdin", "cr2"], stdin: " a b \r\r\n").status, 0)
        XCTAssertTrue(hasher.verify(" a b \r", against: try XCTUnwrap(try stored("cr2")).passwordHash))
    }

    func testLongUnicodePassword() throws {
        let password = String(repeating: "pässwörd 🔐 ", count: 100)
        let result = try add("unicode", password: password)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(hasher.verify(password, against: try XCTUnwrap(try stored("unicode")).passwordHash))
    }

    func testDuplicateNameIgnoringCaseIsRefused() throws {
        XCTAssertEqual(try add("alice", password: "one").status, 0)
        let result = try add("ALICE", password: "two")
        assertRefused(result, containing: "user alice already exists")
        XCTAssertTrue(hasher.verify("one", against: try XCTUnwrap(try stored("alice")).passwordHash))
    }

    func testBadNamesAreRefused() throws {
        for name in ["a:b", String(repeating: "n", count: 33), "", "bad name", "ünï", "a\u{1b}[31mred"] {
            let result = try add(name, password: "pw")
            assertRefused(result, containing: "invalid user name")
            XCTAssertFalse(result.stderr.contains("\u{1b}"), "control characters are never echoed")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "refused before touching the database")
        XCTAssertEqual(try add(String(repeating: "n", count: 32), password: "pw").status, 0)
    }

    func testEmptyPasswordIsRefused() throws {
        assertRefused(try add("alice", password: ""), containing: "empty password")
        assertRefused(try run(["--db", db, "--cost", "minimum", "--password-stdin", "alice"], stdin: ""), containing: "empty password")
        assertRefused(try run(["--db", db, "--cost", "minimum", "--password-stdin", "alice"], stdin: "\r\n"), containing: "empty password")
        XCTAssertNil(try stored("alice"))
    }

    func testInvalidUTF8PasswordIsRefused() throws {
        let result = try ToolRunner.run(
            ["--db", db, "--cost", "minimum", "--password-stdin", "alice"], stdin: Data([0x70, 0xff, 0xfe, 0x0a])
        )
        assertRefused(result, containing: "not valid UTF-8")
        XCTAssertNil(try stored("alice"))
    }

    func testOverlongPasswordIsRefused() throws {
        assertRefused(try add("alice", password: String(repeating: "x", count: 5000)), containing: "longer than 4056 bytes")
        XCTAssertNil(try stored("alice"))
    }

    func testWithoutTerminalAndWithoutPasswordStdinIsRefused() throws {
        let result = try ToolRunner.run(["--db", db, "--cost", "minimum", "alice"], stdin: Data("pw\n".utf8), withoutTerminal: true)
        assertRefused(result, containing: "no terminal")
        XCTAssertNil(try stored("alice"))
    }

    /// Without --db, a binary built in a source tree uses that tree's
    /// data/securechat.db from any working directory, never one where it stands.
    func testDefaultDatabaseIsTheSourceTreesFromAnyDirectory() throws {
        let tree = directory.appendingPathComponent("tree")
        let tool = tree.appendingPathComponent(".build/release/chat-useradd")
        try FileManager.default.createDirectory(at: tool.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data().write(to: tree.appendingPathComponent("Package.swift"))
        try FileManager.default.copyItem(at: try ToolRunner.executable(), to: tool)
        let elsewhere = directory.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)

        let added = try ToolRunner.run(
            ["--cost", "minimum", "--password-stdin", "alice"], stdin: Data("pw\n".utf8), in: elsewhere, tool: tool
        )
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("data").path))
        let path = tree.appendingPathComponent("data/securechat.db").path
        XCTAssertNotNil(try SQLiteStore(path: path).user(named: try XCTUnwrap(UserName("alice"))))
        let fileMode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
        XCTAssertEqual(fileMode.intValue & 0o777, 0o600)
        let dirMode = try XCTUnwrap(
            FileManager.default.attributesOfItem(atPath: tree.appendingPathComponent("data").path)[.posixPermissions] as? NSNumber
        )
        XCTAssertEqual(dirMode.intValue & 0o777, 0o700)
        let listed = try ToolRunner.run(["list"], in: URL(fileURLWithPath: "/"), tool: tool)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(listed.stdout.hasPrefix("alice "), listed.stdout)

        // The server's variable for the same setting comes first.
        let fromVariable = try ToolRunner.run(
            ["--cost", "minimum", "--password-stdin", "bob"], stdin: Data("pw\n".utf8), in: elsewhere,
            environment: ["SECURECHAT_DATABASE": db], tool: tool
        )
        XCTAssertEqual(fromVariable.status, 0, fromVariable.stderr)
        XCTAssertNotNil(try stored("bob"))

        // A binary outside a source tree has no default: it asks for --db.
        let loose = directory.appendingPathComponent("chat-useradd")
        try FileManager.default.copyItem(at: try ToolRunner.executable(), to: loose)
        for arguments in [["list"], ["--cost", "minimum", "--password-stdin", "carol"]] {
            let result = try ToolRunner.run(arguments, stdin: Data("pw\n".utf8), in: elsewhere, tool: loose)
            assertRefused(result, containing: "no database given: pass --db PATH or set SECURECHAT_DATABASE")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path), [])
    }

    /// Only add (and init, for installers) create a database: a mistyped --db is
    /// refused, not a new empty database.
    func testMissingDatabaseIsCreatedOnlyByAddAndInit() throws {
        for arguments in [["list"], ["delete", "alice"], ["lock", "alice"], ["unlock", "alice"], ["passwd", "--password-stdin", "alice"]] {
            let result = try run(["--db", db] + arguments, stdin: "pw\n")
            assertRefused(result, containing: "cannot use database \(db): no such file (only add and init create one)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: db), "\(arguments)")
        }
        let created = try run(["init", "--db", db])
        XCTAssertEqual(created.status, 0, created.stderr)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: db)[.posixPermissions] as? NSNumber)
        XCTAssertEqual(mode.intValue & 0o777, 0o600)
        XCTAssertEqual(try run(["list", "--db", db]).status, 0)
        XCTAssertEqual(try add("alice", password: "pw").status, 0)
        XCTAssertEqual(try run(["init", "--db", db]).status, 0, "an existing database is kept")
        XCTAssertNotNil(try stored("alice"))
    }

    func testUnusableDatabasePathIsRefused() throws {
        let file = directory.appendingPathComponent("plain-file")
        try Data("x".utf8).write(to: file)
        let bad = file.path + "/users.db"
        for arguments in [
            ["--db", bad, "--cost", "minimum", "--password-stdin", "alice"],
            ["list", "--db", bad],
            ["delete", "--db", bad, "alice"],
        ] {
            let result = try run(arguments, stdin: "pw\n")
            assertRefused(result, containing: "cannot use database \(bad)")
        }
    }

    // MARK: list

    func testListShowsUsersButNeverHashes() throws {
        XCTAssertEqual(try add("charlie", password: "pw-c").status, 0)
        XCTAssertEqual(try add("Bob", password: "pw-b").status, 0)
        XCTAssertEqual(try run(["lock", "--db", db, "bob"]).status, 0)

        let result = try run(["list", "--db", db])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let lines = result.stdoutLines
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix("Bob "), String(lines[0]))
        XCTAssertTrue(lines[0].contains("locked"))
        XCTAssertTrue(lines[1].hasPrefix("charlie "), String(lines[1]))
        XCTAssertTrue(lines[1].contains("active"))
        XCTAssertTrue(lines[1].contains("last login never"))
        XCTAssertTrue(lines[1].contains("created 20"), "ISO 8601 creation date")

        let hash = try XCTUnwrap(try stored("charlie")).passwordHash
        XCTAssertFalse(result.stdout.contains(hash))
        XCTAssertFalse(result.stdout.contains("$argon2"))
        XCTAssertFalse(result.stdout.contains("pw-c"))
    }

    func testListShowsLastLogin() throws {
        XCTAssertEqual(try add("alice", password: "pw").status, 0)
        let name = try XCTUnwrap(UserName("alice"))
        try SQLiteStore(path: db).recordLogin(name, at: Date(timeIntervalSince1970: 1_700_000_000))
        let result = try run(["list", "--db", db])
        XCTAssertTrue(result.stdout.contains("last login 2023-11-14T22:13:20Z"), result.stdout)
    }

    func testListOfEmptyDatabasePrintsNothing() throws {
        XCTAssertEqual(try run(["init", "--db", db]).status, 0)
        let result = try run(["list", "--db", db])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "")
    }

    // MARK: delete, lock, unlock

    func testDelete() throws {
        XCTAssertEqual(try add("alice", password: "pw").status, 0)
        let result = try run(["delete", "--db", db, "ALICE"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "deleted user ALICE\n")
        XCTAssertNil(try stored("alice"))

        assertRefused(try run(["delete", "--db", db, "alice"]), containing: "no such user: alice")
        assertRefused(try run(["delete", "--db", db, "a:b"]), containing: "invalid user name")
    }

    func testLockAndUnlock() throws {
        XCTAssertEqual(try add("alice", password: "pw").status, 0)

        let locked = try run(["lock", "--db", db, "alice"])
        XCTAssertEqual(locked.status, 0, locked.stderr)
        XCTAssertEqual(locked.stdout, "locked user alice\n")
        XCTAssertEqual(try stored("alice")?.isLocked, true)

        let unlocked = try run(["unlock", "--db", db, "Alice"])
        XCTAssertEqual(unlocked.status, 0, unlocked.stderr)
        XCTAssertEqual(unlocked.stdout, "unlocked user Alice\n")
        XCTAssertEqual(try stored("alice")?.isLocked, false)

        assertRefused(try run(["lock", "--db", db, "nobody"]), containing: "no such user: nobody")
        assertRefused(try run(["unlock", "--db", db, "nobody"]), containing: "no such user: nobody")
    }

    /// A store held open (as by the running server) sees the tool's changes at once.
    func testOpenStoreSeesToolChanges() throws {
        let server = try SQLiteStore(path: db)
        let name = try XCTUnwrap(UserName("alice"))
        XCTAssertNil(try server.user(named: name))
        XCTAssertEqual(try add("alice", password: "pw").status, 0)
        XCTAssertNotNil(try server.user(named: name))
        XCTAssertEqual(try run(["lock", "--db", db, "alice"]).status, 0)
        XCTAssertEqual(try server.user(named: name)?.isLocked, true)
    }

    // MARK: passwd

    func testPasswdSetsNewPassword() throws {
        XCTAssertEqual(try add("alice", password: "old password").status, 0)
        let result = try run(["passwd", "--db", db, "--cost", "minimum", "--password-stdin", "ALICE"], stdin: "new password\n")
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "changed password for user alice\n")

        let hash = try XCTUnwrap(try stored("alice")).passwordHash
        XCTAssertTrue(hasher.verify("new password", against: hash))
        XCTAssertFalse(hasher.verify("old password", against: hash))
    }

    func testPasswdRefusals() throws {
        XCTAssertEqual(try add("alice", password: "old").status, 0)
        assertRefused(
            try run(["passwd", "--db", db, "--cost", "minimum", "--password-stdin", "nobody"], stdin: "pw\n"),
            containing: "no such user: nobody"
        )
        assertRefused(
            try run(["passwd", "--db", db, "--cost", "minimum", "--password-stdin", "alice"], stdin: "\n"),
            containing: "empty password"
        )
        XCTAssertTrue(hasher.verify("old", against: try XCTUnwrap(try stored("alice")).passwordHash))
    }

    // MARK: usage

    /// `chat-useradd lsit` is a typo, not a new user named lsit.
    func testMisspeltSubcommandIsRefusedWithASuggestion() throws {
        for (word, meant) in [("lsit", "list"), ("lcok", "lock"), ("Delete", "delete"), ("ad", "add"), ("passwod", "passwd"), ("unlok", "unlock")] {
            let result = try run(["--db", db, "--cost", "minimum", "--password-stdin", word], stdin: "pw\n")
            assertRefused(
                result, status: 64,
                containing: "'\(word)' is not a subcommand: did you mean \(meant)? (to add a user with that name: chat-useradd add \(word))"
            )
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "refused before touching the database")
        let explicit = try run(["add", "--db", db, "--cost", "minimum", "--password-stdin", "lsit"], stdin: "pw\n")
        XCTAssertEqual(explicit.status, 0, explicit.stderr)
        XCTAssertNotNil(try stored("lsit"))
        XCTAssertEqual(try add("listing", password: "pw").status, 0, "three edits from list")
    }

    func testOptionsMayComeBeforeTheSubcommand() throws {
        XCTAssertEqual(try add("alice", password: "old").status, 0)
        assertRefused(try run(["--db", db, "passwd", "nobody"]), containing: "no such user: nobody")
        let changed = try run(["--db", db, "--cost", "minimum", "passwd", "--password-stdin", "alice"], stdin: "new\n")
        XCTAssertEqual(changed.status, 0, changed.stderr)
        XCTAssertTrue(hasher.verify("new", against: try XCTUnwrap(try stored("alice")).passwordHash))
        XCTAssertEqual(try run(["--db", db, "lock", "alice"]).status, 0)
        let listed = try run(["--db", db, "list"])
        XCTAssertTrue(listed.stdout.contains("locked"), listed.stdout + listed.stderr)
        // An option's value is never taken for the subcommand.
        let named = directory.appendingPathComponent("list").path
        XCTAssertEqual(try run(["--db", named, "--cost", "minimum", "--password-stdin", "bob"], stdin: "pw\n").status, 0)
        XCTAssertEqual(try run(["--db", named, "delete", "bob"]).stdout, "deleted user bob\n")
    }

    func testUnknownCostIsAUsageError() throws {
        let result = try run(["--db", db, "--cost", "fast", "--password-stdin", "bob"], stdin: "pw\n")
        assertRefused(result, status: 64, containing: "'fast'")
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "refused before touching the database")
    }

    func testMissingNameIsAUsageError() throws {
        assertRefused(try run(["delete", "--db", db]), status: 64, containing: "chat-useradd --help")
    }

    func testHelpDescribesCostLevels() throws {
        let result = try run(["add", "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("--password-stdin"), result.stdout)
        XCTAssertTrue(result.stdout.contains("minimum"), result.stdout)
        XCTAssertTrue(result.stdout.contains("tests and benchmarks only"), result.stdout)

        let root = try run(["--help"])
        XCTAssertEqual(root.status, 0)
        for subcommand in ["add", "list", "delete", "lock", "unlock", "passwd", "init"] {
            XCTAssertTrue(root.stdout.contains(subcommand), subcommand)
        }
    }
}
