import ChatCrypto
import ChatModel
import ChatServer
import ChatStore
import ChatTestSupport
import ChatTLS
import Foundation
import Logging
import NIOCore
import NIOPosix
import XCTest

/// A real server on loopback port 0: real certificates from the openssl CLI, a real
/// SQLite file in a temp directory, real Argon2id. One per test.
final class ServerHarness: @unchecked Sendable {
    static let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    let certificates: TestCertificates
    let directory: URL
    let store: SQLiteStore
    let server: ChatServer
    let port: Int
    let clientContext: TLSContext
    let logs: CapturedLogs
    var databasePath: String { directory.appendingPathComponent("users.db").path }

    static let defaultUsers = [("alice", "alice password"), ("bob", "bob-pw"), ("carol", "carol-pw")]

    static func start(
        users: [(String, String)] = defaultUsers,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> ServerHarness {
        let certificates = try TestCertificates.make()
        let directory = try makeTemporaryDirectory()
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

    /// A fresh directory for a test's database and files.
    static func makeTemporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("securechat-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Port 0, the given certificates, a database in `directory`.
    static func testConfiguration(_ certificates: TestCertificates, _ directory: URL) -> ServerConfiguration {
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

    func stop() async {
        await server.stop()
        try? store.close()
        certificates.remove()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A TLS connection that has read the server's HELLO.
    func connect(
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
    func login(
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
}

// MARK: Assertions

/// Reads the next line and checks it.
func expect(
    _ client: TestLineClient,
    _ expected: String,
    file: StaticString = #filePath,
    line: UInt = #line
) async throws {
    let got = try await client.nextLine()
    XCTAssertEqual(got, expected, file: file, line: line)
}

/// Reads the next line and checks that it starts with `prefix`; returns it.
@discardableResult
func expect(
    _ client: TestLineClient,
    prefix: String,
    file: StaticString = #filePath,
    line: UInt = #line
) async throws -> String? {
    let got = try await client.nextLine()
    XCTAssertTrue(got?.hasPrefix(prefix) == true, "expected '\(prefix)…', got \(got.map { "'\($0)'" } ?? "connection closed")", file: file, line: line)
    return got
}

/// Proves that nothing else is waiting for `client`: a ping's PONG is the next line.
func expectNothingPending(
    _ client: TestLineClient,
    file: StaticString = #filePath,
    line: UInt = #line
) async throws {
    let token = "marker-\(UInt32.random(in: 0 ... .max))"
    try await client.send("/ping \(token)")
    try await expect(client, "PONG \(token)", file: file, line: line)
}

/// Checks that the server closed the connection, after at most `lines`.
func expectClosed(
    _ client: TestLineClient,
    file: StaticString = #filePath,
    line: UInt = #line
) async throws -> [String] {
    try await client.linesUntilClosed()
}

