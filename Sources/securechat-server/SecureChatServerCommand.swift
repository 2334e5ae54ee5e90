import ArgumentParser
import ChatServer
import ChatVersion
import Configuration
import Foundation
import Logging
import ServiceLifecycle

@main
struct SecureChatServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "securechat-server",
        abstract: "A TLS chat server with Argon2id password logins.",
        discussion: """
            Serves the securechat line protocol over TLS only (see PROTOCOL.md). Accounts \
            live in the SQLite database shared with chat-useradd; changes there count at \
            the next login, with no restart. Each setting comes from its flag, else its \
            SECURECHAT_* environment variable, else the --config file (JSON or YAML), else \
            its default; --print-config shows every value and where it came from. \
            SIGHUP re-reads the file and the certificate and key, and applies what can \
            change at run time to new connections (README: Configuration). SIGINT/SIGTERM: \
            every session gets BYE and a clean TLS close, then the server exits 0.
            """,
        version: SecureChatVersion.current
    )

    private static let defaults = ServerSettings()

    @Option(help: ArgumentHelp("Configuration file: JSON (.json) or YAML (.yaml, .yml). Also SECURECHAT_CONFIG.", valueName: "file"))
    var config: String?

    @Flag(help: "Print every setting's effective value and where it came from, then exit.")
    var printConfig = false

    @Option(help: "Address to listen on (default: \(defaults.server.host)).")
    var host: String?

    @Option(help: "TCP port, 1 to 65535 (default: \(defaults.server.port)).")
    var port: Int?

    @Flag(inversion: .prefixedNo, help: "Accept --port 0: listen on any free port, logged at start (default: no; for tests).")
    var allowEphemeralPort: Bool?

    @Option(name: .customLong("cert"), help: "PEM certificate chain, leaf first (default: \(defaults.server.certificateChainPath)).")
    var certificateChainPath: String?

    @Option(name: .customLong("key"), help: "PEM private key (ECDSA or RSA) for the certificate (default: \(defaults.server.privateKeyPath)).")
    var privateKeyPath: String?

    @Option(name: .customLong("db"), help: "SQLite user database, created if missing (default: \(defaults.server.databasePath)).")
    var databasePath: String?

    @Option(help: "TLS policy: intermediate (TLS 1.2 + 1.3) or modern (TLS 1.3 only) (default: intermediate).")
    var tlsProfile: String?

    @Option(help: "Name announced in HELLO (default: \(defaults.server.serverName)).")
    var serverName: String?

    @Option(help: "Longest accepted line in bytes; longer lines close the connection (default: \(defaults.server.maxLineLength)).")
    var maxLineLength: Int?

    @Option(help: "Bytes queued for one slow reader before it is disconnected (default: \(defaults.server.maxOutboundQueueBytes)).")
    var maxOutboundQueueBytes: Int?

    @Option(help: "Seconds a peer has to complete the TLS handshake (default: 10).")
    var handshakeTimeout: Int?

    @Option(help: "Failed logins on one connection before it is closed (default: \(defaults.server.maxLoginFailures)).")
    var maxLoginFailures: Int?

    @Option(help: "Argon2id cost for new hashes: interactive, moderate, sensitive (minimum: tests only) (default: interactive).")
    var passwordCost: String?

    @Option(help: "Concurrent password checks (default: number of cores).")
    var hashingThreads: Int?

    @Option(help: "Password checks that may wait; beyond this logins get ERR busy (default: \(defaults.server.maxQueuedPasswordChecks)).")
    var maxQueuedPasswordChecks: Int?

    @Option(help: "Open connections in all; more are closed at once (default: \(defaults.server.maxConnections)).")
    var maxConnections: Int?

    @Option(name: .customLong("max-connections-per-ip"), help: "Open connections from one IP address (default: \(defaults.server.maxConnectionsPerIP)).")
    var maxConnectionsPerIP: Int?

    @Option(help: "Rooms one account may be in at once, over all its sessions (#lobby aside) (default: \(defaults.server.maxRoomsPerAccount)).")
    var maxRoomsPerAccount: Int?

    @Option(help: "Rooms on the server (#lobby aside); creating more gets ERR too-many-rooms (default: \(defaults.server.maxRooms)).")
    var maxRooms: Int?

    @Option(help: "Seconds after the handshake to log in (default: 30).")
    var loginGracePeriod: Int?

    @Option(help: "Seconds without a line from the client before the server sends PING (default: 300).")
    var idleTimeout: Int?

    @Option(help: "Seconds to answer a PING before the connection is closed (default: 60).")
    var pingTimeout: Int?

    @Option(help: "Steady lines per second per session (0: no limit); more are delayed (default: \(defaults.server.linesPerSecond)).")
    var linesPerSecond: Double?

    @Option(help: "Lines a session may send at once before the rate applies (default: \(defaults.server.lineBurst)).")
    var lineBurst: Int?

    @Option(help: "Milliseconds of penalty after one failed login; doubles per failure (default: 250).")
    var loginPenaltyMs: Int?

    @Option(help: "Longest login penalty in seconds (default: 15).")
    var loginPenaltyMax: Int?

    @Flag(inversion: .prefixedNo, help: "Accept a private key or database reached through a symbolic link (default: no).")
    var allowSymlinkedSecrets: Bool?

    @Option(help: "Event loop threads (default: the CPUs this process may use).")
    var eventLoopThreads: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: info).")
    var logLevel: String?

    @Option(
        help: ArgumentHelp(
            "Serve Prometheus metrics over plain HTTP at http://ADDRESS/metrics; loopback or a private interface only (default: off).",
            valueName: "host:port"
        ))
    var metricsListen: String?

    /// The flags given, by configuration key; the top layer of the hierarchy. Each
    /// key is the one `ServerSettings.all` lists with this flag.
    var flagValues: [String: ConfigContent] {
        var values: [String: ConfigContent] = [:]
        func seconds(_ value: Int?) -> ConfigContent? { value.map { .double(Double($0)) } }
        let given: [(String, ConfigContent?)] = [
            ("host", host.map { .string($0) }),
            ("port", port.map { .int($0) }),
            ("allow-ephemeral-port", allowEphemeralPort.map { .bool($0) }),
            ("server-name", serverName.map { .string($0) }),
            ("database", databasePath.map { .string($0) }),
            ("event-loop-threads", eventLoopThreads.map { .int($0) }),
            ("log-level", logLevel.map { .string($0) }),
            ("allow-symlinked-secrets", allowSymlinkedSecrets.map { .bool($0) }),
            ("tls.certificate", certificateChainPath.map { .string($0) }),
            ("tls.private-key", privateKeyPath.map { .string($0) }),
            ("tls.profile", tlsProfile.map { .string($0) }),
            ("tls.handshake-timeout", seconds(handshakeTimeout)),
            ("limits.max-line-length", maxLineLength.map { .int($0) }),
            ("limits.max-outbound-queue-bytes", maxOutboundQueueBytes.map { .int($0) }),
            ("limits.lines-per-second", linesPerSecond.map { .double($0) }),
            ("limits.line-burst", lineBurst.map { .int($0) }),
            ("limits.max-connections", maxConnections.map { .int($0) }),
            ("limits.max-connections-per-ip", maxConnectionsPerIP.map { .int($0) }),
            ("limits.max-rooms-per-account", maxRoomsPerAccount.map { .int($0) }),
            ("limits.max-rooms", maxRooms.map { .int($0) }),
            ("timeouts.login-grace-period", seconds(loginGracePeriod)),
            ("timeouts.idle", seconds(idleTimeout)),
            ("timeouts.ping", seconds(pingTimeout)),
            ("logins.max-failures", maxLoginFailures.map { .int($0) }),
            ("logins.penalty-base", loginPenaltyMs.map { .double(Double($0) / 1000) }),
            ("logins.penalty-max", seconds(loginPenaltyMax)),
            ("hashing.cost", passwordCost.map { .string($0) }),
            ("hashing.threads", hashingThreads.map { .int($0) }),
            ("hashing.max-queued-checks", maxQueuedPasswordChecks.map { .int($0) }),
            ("metrics.listen", metricsListen.map { .string($0) }),
        ]
        for case (let key, let content?) in given {
            values[key] = content
        }
        return values
    }

    func run() async throws {
        let loader = ConfigurationLoader(
            flagValues: flagValues,
            environment: ProcessInfo.processInfo.environment,
            configFlag: config
        )
        let loaded: LoadedConfiguration
        do {
            loaded = try await loader.load()
        } catch {
            throw Self.refusal(error)
        }
        if printConfig {
            print(ConfigurationReport(loaded: loaded).text, terminator: "")
            return
        }

        let level = loaded.settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "securechat")
        if let file = loaded.file {
            logger.info("configuration read", metadata: ["file": "\(file.path)"])
        }
        if !loaded.unknownEnvironment.isEmpty {
            logger.warning(
                "ignoring environment variables that name no setting",
                metadata: [
                    "names": "\(loaded.unknownEnvironment.joined(separator: ","))"
                ])
        }

        // Without a file, SIGHUP reloads the certificate and key only: flags and
        // environment cannot change under a running process.
        var source: ChatServer.ConfigurationSource?
        if loaded.file != nil {
            source = { try await Self.reload(loader, startedWith: loaded, logger: logger) }
        }
        do {
            let server = try ChatServer(configuration: loaded.settings.server, logger: logger, configurationSource: source)
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

    /// SIGHUP: the file again, over the same flags and environment. A broken file
    /// throws, and the server logs one line and keeps running as it was.
    private static func reload(
        _ loader: ConfigurationLoader,
        startedWith startup: LoadedConfiguration,
        logger: Logger
    ) async throws -> ServerConfiguration {
        let new = try await loader.load()
        let notApplied = new.restartOnlyChanges(comparedTo: startup)
        if !notApplied.isEmpty {
            logger.warning(
                "configuration changes that need a restart were not applied",
                metadata: [
                    "keys": "\(notApplied.joined(separator: ","))"
                ])
        }
        return new.settings.server
    }

    /// A bad flag is a usage error, as it always was (exit 64 with usage); a bad file
    /// or variable is one line on stderr and exit 1, like every start-up failure.
    private static func refusal(_ error: ConfigurationError) -> any Error {
        if case .flag = error.origin {
            return ValidationError(error.message)
        }
        FileHandle.standardError.write(Data("securechat-server: \(error)\n".utf8))
        return ExitCode(1)
    }
}
