import ChatCrypto
import ChatModel
import ChatStore
import ChatTestSupport
import ChatTLS
import Foundation
import NIOConcurrencyHelpers
import XCTest

/// The real `securechat-server` binary on a port of its own and a real SQLite file,
/// for what an in-process server cannot do: be killed with SIGKILL, and start again
/// on the same port with the same database, as after a crash or a restart.
final class ServerBinary: @unchecked Sendable {
    let certificates: TestCertificates
    let directory: URL
    let clientContext: TLSContext
    private(set) var port = 0
    private var process: Process?
    private let log = NIOLockedValueBox("")

    var database: String { directory.appendingPathComponent("chat.db").path }

    /// Makes the database with `ServerHarness`'s users and starts the server on a
    /// free port; stopped (SIGKILL) and removed when `testCase` ends.
    static func start(for testCase: XCTestCase) async throws -> ServerBinary {
        let certificates = try TestCertificates.make()
        let server = ServerBinary(
            certificates: certificates, directory: try testCase.makeTemporaryDirectory(),
            clientContext: try TLSContext.client(trustRootsPath: certificates.caPath))
        testCase.addTeardownBlock {
            server.kill()
            certificates.remove()
        }
        let store = try SQLiteStore(path: server.database)
        let hasher = PasswordHasher(cost: .minimum)
        for (name, password) in ServerHarness.defaultUsers {
            try store.addUser(UserName(name)!, passwordHash: try hasher.hash(password))
        }
        try store.close()
        try await server.run(port: 0)
        return server
    }

    private init(certificates: TestCertificates, directory: URL, clientContext: TLSContext) {
        self.certificates = certificates
        self.directory = directory
        self.clientContext = clientContext
    }

    /// Starts the binary (on the port it had, after the first start) and waits
    /// until it listens.
    func run(port requested: Int? = nil, file: StaticString = #filePath, line: UInt = #line) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltProducts.path(of: "securechat-server"))
        process.arguments = [
            "--cert", certificates.chainPath, "--key", certificates.keyPath, "--db", database,
            "--port", "\(requested ?? port)", "--allow-ephemeral-port", "--password-cost", "minimum",
            "--lines-per-second", "0",
        ]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        log.withLockedValue { $0 = "" }
        stderr.fileHandleForReading.readabilityHandler = { [log] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                log.withLockedValue { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(20)
        while !logged.contains("listening"), process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let listening = try XCTUnwrap(logged.firstMatch(of: /address=127\.0\.0\.1:(\d+)/).flatMap { Int($0.1) }, logged, file: file, line: line)
        port = listening
    }

    var logged: String { log.withLockedValue { $0 } }

    /// SIGKILL: no `BYE`, no TLS close; the kernel resets the connections.
    func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM: every session gets `BYE server shutting down`, then the server exits.
    func terminate() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// A test client logged in as `name`.
    func login(_ name: String, file: StaticString = #filePath, line: UInt = #line) async throws -> TestLineClient {
        let client = try await TestLineClient.connect(port: port, context: clientContext, group: ServerHarness.clientGroup)
        try await expect(client, prefix: "HELLO ", file: file, line: line)
        try await client.send("/login \(name) \(ServerHarness.password(of: name))")
        try await expect(client, "OK login \(name)", file: file, line: line)
        return client
    }

    /// Arguments for the `securechat` binary to reach this server as `user`.
    func clientArguments(user: String) -> [String] {
        ["--port", "\(port)", "--ca", certificates.caPath, "--user", user]
    }
}
