import ChatServer
import ChatStore
import ChatTestSupport
import Foundation
import Logging
import XCTest

/// A disk that fills up or stops taking writes under a running server: new messages
/// get `ERR not-stored` (the sender knows), reach nobody, and sessions stay up;
/// nothing stored is lost; once the disk takes writes again, so does the server, with
/// no restart. Needs root (mounts); CI and the machines here run as root.
final class SickDiskTests: XCTestCase {
    func testAFullDiskRefusesNewMessagesKeepsSessionsAndRecoversByItself() async throws {
        let mountPoint = try mount("-t", "tmpfs", "-o", "size=2m", "tmpfs")
        let database = mountPoint.appendingPathComponent("users.db").path
        let harness = try await ServerHarness.start(for: self) { $0.databasePath = database }
        let (alice, bob) = (try await harness.login("alice"), try await harness.login("bob"))
        try await alice.send("before")
        try await expect(bob, "MSG #lobby alice before")

        let filler = mountPoint.appendingPathComponent("filler")
        _ = try await ChildProcess.run("/bin/dd", ["if=/dev/zero", "of=\(filler.path)", "bs=64k", "count=1000"])
        try await expectRefusals(harness, alice: alice, bob: bob)
        // chat-useradd fails with one clean line too.
        let useradd = try LifecycleTests.productsDirectory.appendingPathComponent("chat-useradd").path
        let full = try await ChildProcess.run(
            useradd, ["--db", database, "--cost", "minimum", "--password-stdin", "dave"], input: [.line("dave-pw", pause: .zero)])
        XCTAssertNotEqual(full.status, 0)
        XCTAssertTrue(full.standardError.hasPrefix("chat-useradd: "), full.standardError)
        XCTAssertEqual(full.standardError.split(separator: "\n").count, 1, full.standardError)

        try FileManager.default.removeItem(at: filler)
        try await expectRecovery(harness, alice: alice, bob: bob)
        for client in [alice, bob] { await client.close() }
    }

    /// Linux refuses to remount a file system read-only while files on it are open
    /// for writing, and undoing the read-only state the kernel forces after a disk
    /// error needs an unmount; so the database files are made immutable instead (on
    /// ext4, which refuses writes to an open immutable file with EPERM, as a read-only
    /// file system refuses them with EROFS). The `-shm` index stays writable: SQLite
    /// maps it into memory, and a write fault there would be a crash, not an error.
    func testADatabaseThatCannotBeWrittenRefusesNewMessagesKeepsSessionsAndRecoversByItself() async throws {
        let image = try makeTemporaryDirectory().appendingPathComponent("disk.ext4")
        XCTAssertTrue(FileManager.default.createFile(atPath: image.path, contents: nil))
        try FileHandle(forWritingTo: image).truncate(atOffset: 32 << 20)
        let made = try await ChildProcess.run("/usr/sbin/mkfs.ext4", ["-q", image.path])
        XCTAssertEqual(made.status, 0, made.standardError)
        let mountPoint = try mount("-o", "loop", image.path)
        let database = mountPoint.appendingPathComponent("users.db").path
        let harness = try await ServerHarness.start(for: self) { $0.databasePath = database }
        let (alice, bob) = (try await harness.login("alice"), try await harness.login("bob"))
        try await alice.send("before")
        try await expect(bob, "MSG #lobby alice before")

        let files = [database, database + "-wal"]
        try await run("/usr/bin/chattr", ["+i"] + files)
        try await expectRefusals(harness, alice: alice, bob: bob)
        try await run("/usr/bin/chattr", ["-i"] + files)
        try await expectRecovery(harness, alice: alice, bob: bob)
        for client in [alice, bob] { await client.close() }

        // A file system that is read-only when the server starts: it refuses to start,
        // with one line; the data stays.
        await harness.server.stop()
        try harness.store.close()
        try await run("/bin/mount", ["-o", "remount,ro", mountPoint.path])
        var configuration = ServerHarness.testConfiguration(harness.certificates, harness.directory)
        configuration.databasePath = database
        XCTAssertThrowsError(try ChatServer(configuration: configuration, logger: Logger(label: "test"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot open user database"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
        try await run("/bin/mount", ["-o", "remount,rw", mountPoint.path])
        let store = try SQLiteStore(path: database)
        let lobby = try await store.history(of: .room(.lobby), before: nil, limit: 10).events.compactMap(\.text)
        XCTAssertEqual(lobby, ["before", "after"])
        try store.close()
    }

    // MARK: Steps

    /// While the disk takes no writes: whatever would have to be stored is refused
    /// with `ERR not-stored` and reaches nobody; sessions stay, and reading works.
    private func expectRefusals(_ harness: ServerHarness, alice: TestLineClient, bob: TestLineClient) async throws {
        try await alice.send("during")
        try await expect(alice, prefix: "ERR not-stored ")
        try await alice.send("/msg bob during")
        try await expect(alice, prefix: "ERR not-stored ")
        try await alice.send("/msg carol during")
        try await expect(alice, prefix: "ERR not-stored ")
        try await expectNothingPending(bob)
        try await XCTAssertEqualAsync(try await history(of: "#lobby", for: bob), ["alice before"])
        try await expectNothingPending(alice)
        // Once for the operator, not once per message.
        XCTAssertEqual(harness.logs.all.filter { $0.contains("messages are not being stored") }.count, 1, harness.logs.joined)
    }

    /// The disk takes writes again: the same sessions, no restart, messages stored
    /// and delivered again, and nothing from before lost.
    private func expectRecovery(_ harness: ServerHarness, alice: TestLineClient, bob: TestLineClient) async throws {
        try await alice.send("after")
        try await expect(bob, "MSG #lobby alice after")
        XCTAssertTrue(harness.logs.joined.contains("messages are stored again refusedMeanwhile=3"), harness.logs.joined)
        try await XCTAssertEqualAsync(try await history(of: "#lobby", for: bob), ["alice before", "alice after"])
        try await alice.send("/msg carol after")
        try await expect(alice, "OK msg carol")
        let carol = try await harness.login("carol")
        try await expect(carol, "DM alice after")
        try await expectNothingPending(carol)
        await carol.close()
    }

    // MARK: Mounts

    /// Mounts `arguments` (ending with the source) on a new temporary directory,
    /// unmounted when the test ends.
    private func mount(_ arguments: String...) throws -> URL {
        let mountPoint = try makeTemporaryDirectory()
        let process = try Process.run(URL(fileURLWithPath: "/bin/mount"), arguments: arguments + [mountPoint.path])
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "mount \(arguments.joined(separator: " ")) (needs root)")
        // Registered before the server's harness, so it runs after the server has
        // stopped (teardown blocks run last-registered first).
        addTeardownBlock {
            // Waited for: an unwaited Process is never freed on Linux (see ChildProcess).
            (try? Process.run(URL(fileURLWithPath: "/bin/umount"), arguments: ["-l", mountPoint.path]))?.waitUntilExit()
        }
        return mountPoint
    }

    private func run(_ executable: String, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) async throws {
        let result = try await ChildProcess.run(executable, arguments)
        XCTAssertEqual(result.status, 0, "\(executable) \(arguments): \(result.standardError)", file: file, line: line)
    }
}
