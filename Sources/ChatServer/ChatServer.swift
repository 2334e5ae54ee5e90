import ChatCrypto
import ChatProtocol
import ChatStore
import ChatTLS
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals
import NIOConcurrencyHelpers

/// The chat server as a service: a TLS listener, the sessions behind it, the hub, and
/// the password checker. `init` loads everything that can fail (certificate, key,
/// database) so a bad setup fails before the port is opened; `run()` serves until
/// graceful shutdown, then stops accepting, says `BYE` to every session, closes TLS
/// cleanly and waits a bounded time for the connections to drain.
public final class ChatServer: Service, Sendable {
    private enum Lifecycle {
        case idle
        case listening(Channel)
        case stopped
    }

    public let configuration: ServerConfiguration
    private let logger: Logger
    /// Replaced on reload; each new connection takes the current one.
    private let tlsContext: NIOLockedValueBox<TLSContext>
    private let throttle: LoginThrottle
    private let hub = Hub()
    /// Only this knows the stores are an SQLite file; the rest sees their protocols.
    private let store: SQLiteStore
    private let authenticator: Authenticator
    private let directory: AccountDirectory
    private let accountWatcher: AccountWatcher
    private let connections: ConnectionTracker
    private let group: MultiThreadedEventLoopGroup
    private let flushers: PerEventLoop<OutboundFlusher>
    private let timeouts: PerEventLoop<SessionTimeouts>
    private let lifecycle = NIOLockedValueBox(Lifecycle.idle)

    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        self.tlsContext = NIOLockedValueBox(try Self.loadTLSContext(configuration, logger: logger))
        try SecretFile.check(
            configuration.databasePath,
            what: "user database",
            allowSymlink: configuration.allowSymlinkedSecrets
        )
        let store: SQLiteStore
        do {
            store = try SQLiteStore(path: configuration.databasePath)
            self.store = store
        } catch {
            throw StartupError("cannot open user database: \(error)")
        }
        self.authenticator = try Authenticator(
            accounts: store,
            hasher: PasswordHasher(cost: configuration.passwordCost),
            threads: configuration.hashingThreads,
            maxQueued: configuration.maxQueuedPasswordChecks,
            logger: logger
        )
        let directory = AccountDirectory(accounts: store, keys: store)
        self.directory = directory
        self.throttle = LoginThrottle(
            base: configuration.loginPenaltyBase,
            cap: configuration.loginPenaltyMax,
            decay: configuration.loginPenaltyDecay
        )
        self.connections = ConnectionTracker(
            maxConnections: configuration.maxConnections,
            maxPerAddress: configuration.maxConnectionsPerIP
        )
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        self.accountWatcher = AccountWatcher(
            directory: directory,
            hub: hub,
            eventLoop: group.next(),
            interval: configuration.accountCheckInterval,
            logger: logger
        )
        self.flushers = PerEventLoop(group: group) { OutboundFlusher(eventLoop: $0) }
        let timeoutCheckInterval = SessionTimeouts.interval(
            for: configuration.loginGracePeriod, configuration.idleTimeout, configuration.pingTimeout
        )
        self.timeouts = PerEventLoop(group: group) { SessionTimeouts(eventLoop: $0, interval: timeoutCheckInterval) }
    }

    /// Opens the listener and returns the address it is bound to (useful with port 0).
    @discardableResult
    public func start() async throws -> SocketAddress {
        let channel: Channel
        do {
            channel = try await makeBootstrap().bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw StartupError("cannot listen on \(configuration.host):\(configuration.port): \(Self.reason(error))")
        }
        let accepted = lifecycle.withLockedValue { state -> Bool in
            guard case .idle = state else { return false }
            state = .listening(channel)
            return true
        }
        guard accepted else {
            try? await channel.close()
            throw StartupError("server already started or stopped")
        }
        await accountWatcher.start()
        let address = channel.localAddress!
        logger.info("listening", metadata: [
            "address": "\(configuration.host):\(address.port ?? configuration.port)",
            "tls": "\(configuration.tlsProfile.rawValue)",
        ])
        return address
    }

    /// Serves until graceful shutdown (SIGTERM/SIGINT through `ServiceGroup`) or
    /// cancellation, then stops. SIGHUP reloads the certificate and key.
    public func run() async throws {
        // Trap SIGHUP before "listening" is logged, so no one can signal too early.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        if case .idle = lifecycle.withLockedValue({ $0 }) {
            try await start()
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in hangups {
                    self.logger.info("SIGHUP: reloading certificate and key")
                    self.reloadCertificates()
                }
            }
            try? await gracefulShutdown()
            // One line per stage of stopping, so a stop that stalls shows where.
            logger.info("graceful shutdown requested")
            group.cancelAll()
        }
        await stop()
    }

    /// Loads the certificate and key again for new connections; sessions already
    /// open keep theirs. A broken or mismatched pair is refused with a log line and
    /// the old one stays in use. Returns whether the new pair was taken.
    @discardableResult
    public func reloadCertificates() -> Bool {
        do {
            let context = try Self.loadTLSContext(configuration, logger: logger)
            tlsContext.withLockedValue { $0 = context }
            logger.info("certificate reloaded", metadata: ["cert": "\(configuration.certificateChainPath)"])
            return true
        } catch {
            logger.error("certificate reload refused, keeping the current one", metadata: ["reason": "\(error)"])
            return false
        }
    }

    private static func loadTLSContext(_ configuration: ServerConfiguration, logger: Logger) throws -> TLSContext {
        try SecretFile.check(
            configuration.privateKeyPath,
            what: "private key",
            allowSymlink: configuration.allowSymlinkedSecrets
        )
        let context: TLSContext
        do {
            context = try TLSContext.server(
                certificateChainPath: configuration.certificateChainPath,
                privateKeyPath: configuration.privateKeyPath,
                profile: configuration.tlsProfile
            )
        } catch let error as TLSError {
            throw StartupError("cannot load TLS certificate and key: \(error.diagnostics)")
        }
        if let remaining = context.secondsUntilCertificateExpiry {
            let days = remaining / 86_400
            if remaining <= 0 {
                logger.critical("the TLS certificate has expired; clients will refuse it", metadata: ["cert": "\(configuration.certificateChainPath)"])
            } else if days < configuration.certificateExpiryWarningDays {
                logger.warning("the TLS certificate expires soon", metadata: ["daysLeft": "\(days)", "cert": "\(configuration.certificateChainPath)"])
            }
        }
        return context
    }

    /// Stops accepting, says `BYE` to every session and waits (at most
    /// `shutdownGracePeriod`) for their connections to close.
    public func stop() async {
        // Outer nil: already stopped. Inner nil: never listened (a failed bind),
        // which still owns thread pools, the database and the event loops to release.
        let listener = lifecycle.withLockedValue { state -> Channel?? in
            defer { state = .stopped }
            switch state {
            case .listening(let channel): return .some(channel)
            case .idle: return .some(nil)
            case .stopped: return nil
            }
        }
        guard let listener else { return }
        logger.info("shutting down", metadata: ["connections": "\(connections.count)"])
        try? await listener?.close()

        let open = connections.all()
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ServerShutdownEvent())
        }
        if !open.isEmpty {
            let loop = group.next()
            let drained = EventLoopFuture.andAllComplete(open.map(\.closeFuture), on: loop)
            let deadline = loop.scheduleTask(in: configuration.shutdownGracePeriod) {
                for channel in open { channel.close(promise: nil) }
            }
            try? await drained.get()
            deadline.cancel()
            logger.info("all connections closed")
        }
        await accountWatcher.stop()
        await authenticator.shutdown()
        do {
            try store.close()
        } catch {
            logger.warning("closing the user database failed", metadata: ["error": "\(error)"])
        }
        try? await group.shutdownGracefully()
        logger.info("stopped")
    }

    private func makeBootstrap() -> ServerBootstrap {
        let settings = SessionHandler.Settings(
            serverName: configuration.serverName,
            maxLoginFailures: configuration.maxLoginFailures,
            maxOutboundQueueBytes: configuration.maxOutboundQueueBytes,
            loginGracePeriod: configuration.loginGracePeriod,
            idleTimeout: configuration.idleTimeout,
            pingTimeout: configuration.pingTimeout,
            linesPerSecond: configuration.linesPerSecond,
            lineBurst: configuration.lineBurst,
            maxLinesBeforeLogin: configuration.maxLinesBeforeLogin,
            maxBytesBeforeLogin: configuration.maxBytesBeforeLogin
        )
        let server = self
        let throttle = throttle
        let flushers = flushers
        let timeouts = timeouts
        let handshakeTimeout = configuration.handshakeTimeout
        let maxLineLength = configuration.maxLineLength
        let hub = hub
        let authenticator = authenticator
        let directory = directory
        let connections = connections
        let logger = logger
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Out of file descriptors: pause accepting for a moment instead of
            // spinning on accept errors.
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptBackoffHandler())
                }
            }
            // Chat lines are small and latency matters more than packet count; the
            // TLS handler already coalesces what is queued together.
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // NIO keeps each connection's receive buffer for reuse. Its default
            // (2 KiB, growing to 64 KiB) is sized for bulk transfer; chat lines are
            // small, so start at 512 bytes and stop at 16 KiB (about a TLS record;
            // sizes are powers of two): 1.5 KiB less per idle connection, and at most
            // 16 KiB kept after a burst.
            .childChannelOption(
                .recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 16 * 1024)
            )
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Caps are checked before any TLS work: an excess connection
                    // costs one accept and one close.
                    let admission = connections.admit(channel)
                    guard admission == .admitted else {
                        logger.warning("connection refused", metadata: [
                            "peer": "\(channel.remoteAddress?.ipAddress ?? "?")",
                            "reason": "\(admission == .tooManyFromAddress ? "per-address limit" : "connection limit")",
                        ])
                        channel.close(promise: nil)
                        return
                    }
                    let tls = try TLSHandler(context: server.currentTLSContext, handshakeTimeout: handshakeTimeout)
                    let session = SessionHandler(
                        settings: settings,
                        hub: hub,
                        authenticator: authenticator,
                        directory: directory,
                        throttle: throttle,
                        flusher: flushers.value(for: channel.eventLoop),
                        timeouts: timeouts.value(for: channel.eventLoop),
                        logger: logger
                    )
                    try channel.pipeline.syncOperations.addHandlers([
                        tls,
                        ByteToMessageHandler(LineFrameDecoder(maxLineLength: maxLineLength)),
                        session,
                    ])
                }
            }
    }

    private var currentTLSContext: TLSContext {
        tlsContext.withLockedValue { $0 }
    }

    private static func reason(_ error: Error) -> String {
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode))
        }
        return "\(error)"
    }
}
