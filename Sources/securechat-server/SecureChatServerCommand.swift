import ArgumentParser
import ChatCrypto
import ChatServer
import ChatTLS
import ChatVersion
import Foundation
import Logging
import NIOCore
import ServiceLifecycle

@main
struct SecureChatServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "securechat-server",
        abstract: "A TLS chat server with Argon2id password logins.",
        discussion: """
            Serves the securechat line protocol over TLS only (see PROTOCOL.md). Accounts \
            live in the SQLite database shared with chat-useradd; changes there count at \
            the next login, with no restart. SIGINT/SIGTERM: every session gets BYE and a \
            clean TLS close, then the server exits 0.
            """,
        version: SecureChatVersion.current
    )

    @Option(help: "Address to listen on.")
    var host = ServerConfiguration().host

    @Option(help: "TCP port.")
    var port = ServerConfiguration().port

    @Option(name: .customLong("cert"), help: "PEM certificate chain, leaf first.")
    var certificateChainPath = ServerConfiguration().certificateChainPath

    @Option(name: .customLong("key"), help: "PEM private key (ECDSA or RSA) for the certificate.")
    var privateKeyPath = ServerConfiguration().privateKeyPath

    @Option(name: .customLong("db"), help: "SQLite user database (created if missing).")
    var databasePath = ServerConfiguration().databasePath

    @Option(help: "TLS policy: intermediate (TLS 1.2 + 1.3) or modern (TLS 1.3 only).")
    var tlsProfile = ServerConfiguration().tlsProfile.rawValue

    @Option(help: "Name announced in HELLO.")
    var serverName = ServerConfiguration().serverName

    @Option(help: "Longest accepted line in bytes; longer lines close the connection.")
    var maxLineLength = ServerConfiguration().maxLineLength

    @Option(help: "Bytes queued for one slow reader before it is disconnected.")
    var maxOutboundQueueBytes = ServerConfiguration().maxOutboundQueueBytes

    @Option(help: "Seconds a peer has to complete the TLS handshake.")
    var handshakeTimeout = 10

    @Option(help: "Failed logins on one connection before it is closed.")
    var maxLoginFailures = ServerConfiguration().maxLoginFailures

    @Option(help: "Argon2id cost for new hashes: interactive, moderate, sensitive (minimum: tests only).")
    var passwordCost = "interactive"

    @Option(help: "Concurrent password checks (default: number of cores).")
    var hashingThreads = ServerConfiguration().hashingThreads

    @Option(help: "Password checks that may wait; beyond this logins get ERR busy.")
    var maxQueuedPasswordChecks = ServerConfiguration().maxQueuedPasswordChecks

    @Option(help: "Open connections in all; more are closed at once.")
    var maxConnections = ServerConfiguration().maxConnections

    @Option(name: .customLong("max-connections-per-ip"), help: "Open connections from one IP address.")
    var maxConnectionsPerIP = ServerConfiguration().maxConnectionsPerIP

    @Option(help: "Rooms one account may be in at once, over all its sessions (#lobby aside).")
    var maxRoomsPerAccount = ServerConfiguration().maxRoomsPerAccount

    @Option(help: "Rooms on the server (#lobby aside); creating more gets ERR too-many-rooms.")
    var maxRooms = ServerConfiguration().maxRooms

    @Option(help: "Seconds after the handshake to log in.")
    var loginGracePeriod = 30

    @Option(help: "Seconds without a line from the client before the server sends PING.")
    var idleTimeout = 300

    @Option(help: "Seconds to answer a PING before the connection is closed.")
    var pingTimeout = 60

    @Option(help: "Steady lines per second per session (0: no limit); more are delayed.")
    var linesPerSecond = ServerConfiguration().linesPerSecond

    @Option(help: "Lines a session may send at once before the rate applies.")
    var lineBurst = ServerConfiguration().lineBurst

    @Option(help: "Milliseconds of penalty after one failed login; doubles per failure.")
    var loginPenaltyMs = 250

    @Option(help: "Longest login penalty in seconds.")
    var loginPenaltyMax = 15

    @Flag(help: "Accept a private key or database reached through a symbolic link.")
    var allowSymlinkedSecrets = false

    @Option(help: "Event loop threads (default: the CPUs this process may use).")
    var eventLoopThreads = ServerConfiguration().eventLoopThreads

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level '\(logLevel)'")
        }
        guard let profile = TLSProfile(rawValue: tlsProfile) else {
            throw ValidationError("unknown TLS profile '\(tlsProfile)' (intermediate or modern)")
        }
        guard let cost = PasswordCost(name: passwordCost) else {
            throw ValidationError("unknown password cost '\(passwordCost)'")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "securechat")

        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.certificateChainPath = certificateChainPath
        configuration.privateKeyPath = privateKeyPath
        configuration.databasePath = databasePath
        configuration.tlsProfile = profile
        configuration.serverName = serverName
        configuration.maxLineLength = maxLineLength
        configuration.maxOutboundQueueBytes = maxOutboundQueueBytes
        configuration.handshakeTimeout = .seconds(Int64(handshakeTimeout))
        configuration.maxLoginFailures = maxLoginFailures
        configuration.passwordCost = cost
        configuration.hashingThreads = hashingThreads
        configuration.maxQueuedPasswordChecks = maxQueuedPasswordChecks
        configuration.maxConnections = maxConnections
        configuration.maxConnectionsPerIP = maxConnectionsPerIP
        configuration.maxRoomsPerAccount = maxRoomsPerAccount
        configuration.maxRooms = maxRooms
        configuration.loginGracePeriod = .seconds(Int64(loginGracePeriod))
        configuration.idleTimeout = .seconds(Int64(idleTimeout))
        configuration.pingTimeout = .seconds(Int64(pingTimeout))
        configuration.linesPerSecond = linesPerSecond
        configuration.lineBurst = lineBurst
        configuration.loginPenaltyBase = .milliseconds(Int64(loginPenaltyMs))
        configuration.loginPenaltyMax = .seconds(Int64(loginPenaltyMax))
        configuration.allowSymlinkedSecrets = allowSymlinkedSecrets
        configuration.eventLoopThreads = eventLoopThreads

        do {
            let server = try ChatServer(configuration: configuration, logger: logger)
            // The server binds inside the group, after the signal handlers are in
            // place; a busy port still ends here as a StartupError.
            let group = ServiceGroup(
                services: [server],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
            try await group.run()
        } catch let error as StartupError {
            FileHandle.standardError.write(Data("securechat-server: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
