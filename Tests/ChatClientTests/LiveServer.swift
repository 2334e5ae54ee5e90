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

/// A real server on loopback: real certificates from the openssl CLI, a real SQLite
/// file, real Argon2id (at its lowest cost), every log line captured. One per test.
final class LiveServer: @unchecked Sendable {
    static let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    static let users = [("alice", "alice password"), ("bob", "bob-pw"), ("carol", "carol-pw")]

    let certificates: TestCertificates
    let directory: URL
    let store: SQLiteStore
    let server: ChatServer
    let port: Int
    let logs: CapturedLogs

    var databasePath: String { directory.appendingPathComponent("users.db").path }

    /// - Parameters:
    ///   - port: 0 for any free port.
    ///   - certificates: nil makes a fresh CA and server certificate.
    static func start(port: Int = 0, certificates: TestCertificates? = nil, directory: URL? = nil) async throws -> LiveServer {
        let certificates = try certificates ?? TestCertificates.make()
        let directory = try directory ?? makeTemporaryDirectory()
        var configuration = ServerConfiguration()
        configuration.port = port
        configuration.certificateChainPath = certificates.chainPath
        configuration.privateKeyPath = certificates.keyPath
        configuration.databasePath = directory.appendingPathComponent("users.db").path
        configuration.passwordCost = .minimum
        // Scripts send bursts; the throttle is the server's business, tested there.
        configuration.linesPerSecond = 0

        let store = try SQLiteStore(path: configuration.databasePath)
        let hasher = PasswordHasher(cost: .minimum)
        for (name, password) in users where try store.user(named: UserName(name)!) == nil {
            try store.addUser(UserName(name)!, passwordHash: try hasher.hash(password))
        }
        let logs = CapturedLogs()
        var logger = Logger(label: "securechat-client-test") { _ in CapturingLogHandler(logs: logs) }
        logger.logLevel = .trace
        let server = try ChatServer(configuration: configuration, logger: logger)
        let address = try await server.start()
        return LiveServer(certificates: certificates, directory: directory, store: store, server: server, port: address.port!, logs: logs)
    }

    static func makeTemporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("securechat-client-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    private init(certificates: TestCertificates, directory: URL, store: SQLiteStore, server: ChatServer, port: Int, logs: CapturedLogs) {
        self.certificates = certificates
        self.directory = directory
        self.store = store
        self.server = server
        self.port = port
        self.logs = logs
    }

    /// Stops the server; `keepFiles` leaves certificates and database for a successor.
    func stop(keepFiles: Bool = false) async {
        await server.stop()
        if !keepFiles {
            certificates.remove()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func password(of user: String) -> String {
        users.first { $0.0 == user }!.1
    }

    /// A raw protocol session (the project's TLS line client), logged in.
    func rawLogin(_ user: String) async throws -> TestLineClient {
        let client = try await TestLineClient.connect(
            port: port, context: try TLSContext.client(trustRootsPath: certificates.caPath), group: Self.clientGroup
        )
        _ = try await client.nextLine()  // HELLO
        try await client.send("/login \(user) \(Self.password(of: user))")
        let reply = try await client.nextLine()
        XCTAssertEqual(reply, "OK login \(user)")
        return client
    }

    /// The SHA-256 of the server's leaf certificate, as a client sees it.
    func certificateSHA256() async throws -> [UInt8] {
        let client = try await TestLineClient.connect(
            port: port, context: try TLSContext.client(trustRootsPath: certificates.caPath), group: Self.clientGroup
        )
        defer { Task { await client.close() } }
        return SHA256.hash(client.session.peerCertificateDER ?? [])
    }
}

