import ChatCrypto
import ChatModel
import ChatServer
import ChatStore
import ChatTLS
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

/// A real server on loopback port 0: real certificates from the openssl CLI, a real
/// SQLite file in a temp directory, real Argon2id, every log line captured. One per
/// test, for the server's tests and the client's alike.
public final class ServerHarness: Sendable {
    public static let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    public let certificates: TestCertificates
    public let directory: URL
    public let store: SQLiteStore
    public let server: ChatServer
    public let port: Int
    public let clientContext: TLSContext
    public let logs: CapturedLogs
    private let stopped = NIOLockedValueBox(false)
    public var databasePath: String { directory.appendingPathComponent("users.db").path }

    public static let defaultUsers = [("alice", "alice password"), ("bob", "bob-pw"), ("carol", "carol-pw")]

    /// The password `defaultUsers` gives `user`.
    public static func password(of user: String) -> String {
        defaultUsers.first { $0.0 == user }!.1
    }

    /// A server stopped (and its files removed) when `testCase` ends, however it
    /// ends: a test that throws or fails early never leaks a listening server.
    /// Stopping it earlier on purpose (restarts, shutdown tests) is fine.
    public static func start(
        for testCase: XCTestCase,
        users: [(String, String)] = defaultUsers,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> ServerHarness {
        let harness = try await start(users: users, configure: configure)
        testCase.addTeardownBlock { await harness.stop() }
        return harness
    }

    /// A server the caller stops; prefer `start(for:users:configure:)`.
    public static func start(
        users: [(String, String)] = defaultUsers,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> ServerHarness {
        let certificates = try TestCertificates.make()
        let directory = try TemporaryDirectory.make()
        var configuration = testConfiguration(certificates, directory)
        configure(&configuration)

        let store = try SQLiteStore(path: configuration.databasePath)
        let hasher = PasswordHasher(cost: .minimum)
        for (name, password) in users {
            try store.addUser(UserName(name)!, passwordHash: try hasher.hash(password))
        }
        let logs = CapturedLogs()
        var logger = Logger(label: "securechat-test") { _ in CapturingLogHandler(logs: logs) }
        logger.logLevel = .debug
        let server = try ChatServer(configuration: configuration, logger: logger)
        let address = try await server.start()
        return ServerHarness(
            certificates: certificates,
            directory: directory,
            store: store,
            server: server,
            port: address.port!,
            clientContext: try TLSContext.client(trustRootsPath: certificates.caPath),
            logs: logs
        )
    }

    /// Port 0, the given certificates, a database in `directory`.
    public static func testConfiguration(_ certificates: TestCertificates, _ directory: URL) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.certificateChainPath = certificates.chainPath
        configuration.privateKeyPath = certificates.keyPath
        configuration.databasePath = directory.appendingPathComponent("users.db").path
        // Real Argon2id at its lowest cost keeps the suite fast; tests that are about
        // the cost itself set .interactive.
        configuration.passwordCost = .minimum
        return configuration
    }

    private init(
        certificates: TestCertificates,
        directory: URL,
        store: SQLiteStore,
        server: ChatServer,
        port: Int,
        clientContext: TLSContext,
        logs: CapturedLogs
    ) {
        self.certificates = certificates
        self.directory = directory
        self.store = store
        self.server = server
        self.port = port
        self.clientContext = clientContext
        self.logs = logs
    }

    /// Stops the server and removes its files; later calls do nothing. To stop the
    /// server but keep its database and logs for a check, call `server.stop()`.
    public func stop() async {
        let first = stopped.withLockedValue { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        await server.stop()
        try? store.close()
        certificates.remove()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Stops this server, keeping its files, and starts a new one on the same
    /// certificates and database, on a new port: a restart as clients see it. The new
    /// harness removes the files when `testCase` ends.
    public func restarted(
        for testCase: XCTestCase,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> ServerHarness {
        await server.stop()
        var configuration = Self.testConfiguration(certificates, directory)
        configure(&configuration)
        let logs = CapturedLogs()
        var logger = Logger(label: "securechat-test") { _ in CapturingLogHandler(logs: logs) }
        logger.logLevel = .debug
        let server = try ChatServer(configuration: configuration, logger: logger)
        let address = try await server.start()
        let harness = ServerHarness(
            certificates: certificates, directory: directory, store: store, server: server, port: address.port!,
            clientContext: clientContext, logs: logs)
        testCase.addTeardownBlock { await harness.stop() }
        return harness
    }

    /// Waits, at most `timeout`, until the server has logged a line containing
    /// `message`; false if it never did.
    public func waitForLog(_ message: String, timeout: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !logs.joined.contains(message) {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// A TLS connection that has read the server's HELLO.
    public func connect(
        receiveBufferSize: Int? = nil,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> TestLineClient {
        let client = try await TestLineClient.connect(
            port: port,
            context: clientContext,
            group: Self.clientGroup,
            receiveBufferSize: receiveBufferSize
        )
        let hello = try await client.nextLine()
        XCTAssertEqual(hello?.hasPrefix("HELLO securechat "), true, "got \(hello ?? "nil")", file: file, line: line)
        return client
    }

    /// A connection logged in as `name`.
    public func login(
        _ name: String,
        _ password: String? = nil,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> TestLineClient {
        let password = password ?? Self.defaultUsers.first { $0.0 == name }?.1 ?? ""
        let client = try await connect(file: file, line: line)
        try await client.send("/login \(name) \(password)")
        try await expect(client, "OK login \(name)", file: file, line: line)
        return client
    }

    /// The SHA-256 of the server's leaf certificate, as a client sees it.
    public func certificateSHA256() async throws -> [UInt8] {
        let client = try await TestLineClient.connect(port: port, context: clientContext, group: Self.clientGroup)
        defer { Task { await client.close() } }
        return SHA256.hash(client.session.peerCertificateDER ?? [])
    }
}
