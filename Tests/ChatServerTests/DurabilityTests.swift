import ChatCrypto
import ChatModel
import ChatServer
import ChatStore
import ChatTestSupport
import ChatTLS
import Foundation
import Logging
import XCTest

/// Crashes and sick disks: nothing already stored is lost, and the server keeps
/// serving the people already logged in.
final class DurabilityTests: XCTestCase {
    private var executables: URL { get throws { try LifecycleTests.productsDirectory } }

    /// Starts the real server binary and waits until it listens; returns it and its port.
    private func startServer(_ certificates: TestCertificates, database: String) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = try executables.appendingPathComponent("securechat-server")
        process.arguments = [
            "--cert", certificates.chainPath, "--key", certificates.keyPath, "--db", database,
            "--port", "0", "--allow-ephemeral-port", "--password-cost", "minimum", "--max-connections-per-ip", "100",
        ]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        var seen = ""
        while !seen.contains("listening") {
            let data = stderr.fileHandleForReading.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
        }
        let port = seen.firstMatch(of: /address=127\.0\.0\.1:(\d+)/).flatMap { Int($0.1) }
        return (process, try XCTUnwrap(port, seen))
    }

    func testKillDashNineDuringLoginsAndWritesLosesNothingStored() async throws {
        let certificates = try TestCertificates.make()
        let directory = try makeTemporaryDirectory()
        let database = directory.appendingPathComponent("users.db").path
        let store = try SQLiteStore(path: database)
        let hasher = PasswordHasher(cost: .minimum)
        for index in 0..<20 {
            try store.addUser(UserName("user\(index)")!, passwordHash: try hasher.hash("pw\(index)"))
        }
        let (server, port) = try startServer(certificates, database: database)
        let clientContext = try TLSContextFactory.client(certificates)

        // Logins and chat-useradd writes in flight when the server dies.
        let useradd = try executables.appendingPathComponent("chat-useradd").path
        let writers = Task {
            var added: [String] = []
            for index in 0..<15 {
                let result = try await ChildProcess.run(
                    useradd, ["--db", database, "--cost", "minimum", "--password-stdin", "late\(index)"],
                    input: [.line("late-pw", pause: .zero)]
                )
                if result.status == 0 { added.append("late\(index)") }
            }
            return added
        }
        // Each user logs in again and again (every login writes its time to the
        // store) until the server is gone.
        let logins = Task {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        while let client = try? await TestLineClient.connect(
                            port: port, context: clientContext, group: ServerHarness.clientGroup
                        ) {
                            try? await client.send("/login user\(index) pw\(index)")
                            _ = try? await client.nextLine(timeout: .seconds(2))
                            _ = try? await client.nextLine(timeout: .seconds(2))
                            await client.close()
                        }
                    }
                }
            }
        }
        try await Task.sleep(for: .milliseconds(400))
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        _ = await logins.result
        let added = try await writers.value

        // Restart on the same file: the store is intact and everyone can log in.
        let (restarted, newPort) = try startServer(certificates, database: database)
        let reopened = try SQLiteStore(path: database)
        XCTAssertEqual(try reopened.allUsers().count, 20 + added.count)
        for (name, password) in (0..<20).map({ ("user\($0)", "pw\($0)") }) + added.map({ ($0, "late-pw") }) {
            let client = try await TestLineClient.connect(port: newPort, context: clientContext, group: ServerHarness.clientGroup)
            _ = try await client.nextLine()
            try await client.send("/login \(name) \(password)")
            try await expect(client, "OK login \(name)")
            await client.close()
        }
        restarted.terminate()
        restarted.waitUntilExit()
        XCTAssertEqual(restarted.terminationStatus, 0)
        certificates.remove()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Needs root to mount a small tmpfs; CI and the dev machines here run as root.
    func testFullOrReadOnlyDiskKeepsLoggedInUsersServedAndLosesNothing() async throws {
        XCTAssertEqual(getuid(), 0, "this test mounts a tmpfs and must run as root")
        let mountPoint = try makeTemporaryDirectory()
        let mounted = try await ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint.path])
        XCTAssertEqual(mounted.status, 0, mounted.standardError)
        // Waited for: an unwaited Process is never freed on Linux (see ChildProcess).
        defer { (try? Process.run(URL(fileURLWithPath: "/bin/umount"), arguments: ["-l", mountPoint.path]))?.waitUntilExit() }

        let database = mountPoint.appendingPathComponent("users.db").path
        let harness = try await ServerHarness.start(for: self) { $0.databasePath = database }
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")

        // Fill the disk.
        let filler = mountPoint.appendingPathComponent("filler")
        _ = try await ChildProcess.run("/bin/dd", ["if=/dev/zero", "of=\(filler.path)", "bs=64k", "count=1000"])
        let useradd = try LifecycleTests.productsDirectory.appendingPathComponent("chat-useradd").path
        let full = try await ChildProcess.run(
            useradd, ["--db", database, "--cost", "minimum", "--password-stdin", "dave"],
            input: [.line("dave-pw", pause: .zero)]
        )
        XCTAssertNotEqual(full.status, 0)
        XCTAssertTrue(full.standardError.hasPrefix("chat-useradd: "), full.standardError)
        XCTAssertEqual(full.standardError.split(separator: "\n").count, 1, full.standardError)
        // Chat goes on, and a password change fails cleanly.
        try await alice.send("still here")
        try await expect(bob, "MSG #lobby alice still here")
        try await bob.send("/passwd bob-pw new-password")
        try await expect(bob, prefix: "ERR ")

        // Space back: nothing stored was lost, and the old passwords still work.
        try FileManager.default.removeItem(at: filler)
        let carol = try await harness.login("carol")
        let bobAgain = try await harness.login("bob", "bob-pw")
        for client in [alice, bob, carol, bobAgain] { await client.close() }
        await harness.stop()

        // Read-only (a remount needs the server gone: Linux refuses it under open
        // writers): the server refuses to start with one clear line, chat-useradd
        // refuses too, and the data stays.
        let remounted = try await ChildProcess.run("/bin/mount", ["-o", "remount,ro", mountPoint.path])
        XCTAssertEqual(remounted.status, 0, remounted.standardError)
        let certificates = try TestCertificates.make()
        var configuration = ServerHarness.testConfiguration(certificates, mountPoint)
        configuration.databasePath = database
        XCTAssertThrowsError(try ChatServer(configuration: configuration, logger: Logger(label: "test"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("cannot open user database"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
        let readOnly = try await ChildProcess.run(
            useradd, ["--db", database, "--cost", "minimum", "--password-stdin", "erin"],
            input: [.line("erin-pw", pause: .zero)]
        )
        XCTAssertNotEqual(readOnly.status, 0)
        XCTAssertTrue(readOnly.standardError.hasPrefix("chat-useradd: "), readOnly.standardError)
        _ = try await ChildProcess.run("/bin/mount", ["-o", "remount,rw", mountPoint.path])
        let users = try SQLiteStore(path: database).allUsers().map(\.name.display)
        XCTAssertEqual(users, ["alice", "bob", "carol"])
        certificates.remove()
    }
}

enum TLSContextFactory {
    static func client(_ certificates: TestCertificates) throws -> ChatTLS.TLSContext {
        try .client(trustRootsPath: certificates.caPath)
    }
}
