import ChatCrypto
import ChatModel
import ChatServer
import ChatStore
import ChatTestSupport
import ChatTLS
import Foundation
import Logging
import XCTest

/// Crashes: nothing already stored is lost. (Sick disks: `SickDiskTests`.)
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
}

enum TLSContextFactory {
    static func client(_ certificates: TestCertificates) throws -> ChatTLS.TLSContext {
        try .client(trustRootsPath: certificates.caPath)
    }
}
