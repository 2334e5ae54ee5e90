import ChatCrypto
import ChatProtocol
import ChatStore
import ChatTLS
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// The chat server as a service: a TLS listener, the sessions behind it, the hub, and
/// the password checker. `init` loads everything that can fail (certificate, key,
/// database) so a bad setup fails before the port is opened; `run()` serves until
/// graceful shutdown, then quiesces (NIO's `ServerQuiescingHelper`): stops accepting,
/// sends `ChannelShouldQuiesceEvent` to every connection so each session says `BYE` and
/// closes TLS cleanly, and waits a bounded time for the connections to drain.
public final class ChatServer: Service, Sendable {
    private enum Lifecycle {
        case idle
        case listening(Channel, ServerQuiescingHelper)
        case stopped
    }

    /// The configuration the server started with; see `runningConfiguration` for what
    /// a reload changed since.
    public let configuration: ServerConfiguration
    let logger: Logger
    /// The configuration in force: replaced whole on reload, read once by each new
    /// connection (never on the per-message path).
    let running: NIOLockedValueBox<ServerConfiguration>
    /// Where SIGHUP gets a new configuration; nil reloads only the certificate and key.
    let configurationSource: ConfigurationSource?
    /// Replaced on reload; each new connection takes the current one.
    let tlsContext: NIOLockedValueBox<TLSContext>
    let throttle: LoginThrottle
    private let hub: Hub
    let conversations: Conversations
    private let pruner: HistoryPruner
    /// Only this knows the stores are an SQLite file; the rest sees their protocols.
    private let store: SQLiteStore
    private let authenticator: Authenticator
    private let directory: AccountDirectory
    private let accountWatcher: AccountWatcher
    let connections: ConnectionTracker
    let group: MultiThreadedEventLoopGroup
    private let flushers: PerEventLoop<OutboundFlusher>
    /// Each loop's TLS connections encrypt into these in turn.
    private let tlsWriteBuffers: PerEventLoop<TLSWriteBuffers>
    private let timeouts: PerEventLoop<SessionTimeouts>
    private let lifecycle = NIOLockedValueBox(Lifecycle.idle)
    /// Nil unless `metricsListen` is set: then every part counts into it.
    let metrics: ServerMetrics?
    let metricsListener = NIOLockedValueBox<Channel?>(nil)

    /// Reads the configuration again, e.g. from a file, for SIGHUP; throws if it is
    /// broken.
    public typealias ConfigurationSource = @Sendable () async throws -> ServerConfiguration

    public init(
        configuration: ServerConfiguration,
        logger: Logger,
        configurationSource: ConfigurationSource? = nil
    ) throws {
        self.configuration = configuration
        self.logger = logger
        let running = NIOLockedValueBox(configuration)
        self.running = running
        self.configurationSource = configurationSource
        let metrics = configuration.metricsListen.map { _ in ServerMetrics() }
        self.metrics = metrics
        self.tlsContext = NIOLockedValueBox(try Self.loadTLSContext(configuration, logger: logger, metrics: metrics))
        try SecretFile.check(
            configuration.databasePath,
            what: "user database",
            allowSymlink: configuration.allowSymlinkedSecrets
        )
        let store: SQLiteStore
        do {
            store = try SQLiteStore(path: configuration.databasePath, durability: configuration.databaseDurability)
            self.store = store
        } catch {
            throw StartupError("cannot open user database: \(error)")
        }
        self.authenticator = try Authenticator(
            accounts: store,
            hasher: PasswordHasher(cost: configuration.passwordCost),
            threads: configuration.hashingThreads,
            maxQueued: configuration.maxQueuedPasswordChecks,
            logger: logger,
            metrics: metrics
        )
        let directory = AccountDirectory(accounts: store, keys: store)
        self.directory = directory
        self.hub = Hub(
            limits: Hub.Limits(
                roomsPerAccount: configuration.maxRoomsPerAccount,
                rooms: configuration.maxRooms,
                namesPerLine: configuration.maxNamesPerLine
            ), metrics: metrics)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        self.group = group
        let fanOutQueue = FanOutQueue(
            loop: group.next(), bytesPerPass: FanOutQueue.bytesPerPass(forQueueCap: configuration.maxOutboundQueueBytes))
        store.afterEachBatch { fanOutQueue.flush() }
        self.conversations = Conversations(
            store: store,
            accounts: store,
            hub: hub,
            storesMessages: configuration.storesMessages,
            offlineQueueLimit: configuration.offlineQueueLimit,
            appenders: PerEventLoop(group: group) { LoopAppender(eventLoop: $0, store: store, fanOut: fanOutQueue) },
            logger: logger
        )
        self.pruner = HistoryPruner(
            store: store,
            interval: configuration.pruneInterval,
            policy: { running.withLockedValue { $0.retention } },
            logger: logger
        )
        self.throttle = LoginThrottle(
            base: configuration.loginPenaltyBase,
            cap: configuration.loginPenaltyMax,
            decay: configuration.loginPenaltyDecay
        )
        self.connections = ConnectionTracker(
            maxConnections: configuration.maxConnections,
            maxPerAddress: configuration.maxConnectionsPerIP
        )
        self.accountWatcher = AccountWatcher(
            directory: directory,
            hub: hub,
            eventLoop: group.next(),
            interval: configuration.accountCheckInterval,
            logger: logger
        )
        self.flushers = PerEventLoop(group: group) { OutboundFlusher(eventLoop: $0) }
        self.tlsWriteBuffers = PerEventLoop(group: group) { _ in TLSWriteBuffers() }
        let timeoutCheckInterval = SessionTimeouts.interval(
            for: configuration.loginGracePeriod, configuration.idleTimeout, configuration.pingTimeout
        )
        self.timeouts = PerEventLoop(group: group) { SessionTimeouts(eventLoop: $0, interval: timeoutCheckInterval) }
    }

    /// Opens the listener and returns the address it is bound to (useful with port 0).
    @discardableResult
    public func start() async throws -> SocketAddress {
        let quiescing = ServerQuiescingHelper(group: group)
        let channel: Channel
        do {
            channel = try await makeBootstrap(quiescing: quiescing)
                .bind(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            throw StartupError("cannot listen on \(configuration.host):\(configuration.port): \(Self.reason(error))")
        }
        let accepted = lifecycle.withLockedValue { state -> Bool in
            guard case .idle = state else { return false }
            state = .listening(channel, quiescing)
            return true
        }
        guard accepted else {
            try? await channel.close()
            throw StartupError("server already started or stopped")
        }
        try await startMetrics(closingOnFailure: channel)
        await accountWatcher.start()
        pruner.start()
        if !configuration.storesMessages {
            logger.warning("messages.store is off: room messages are not stored (for benchmarks only)")
        }
        let address = channel.localAddress!
        logger.info(
            "listening",
            metadata: [
                "address": "\(configuration.host):\(address.port ?? configuration.port)",
                "tls": "\(configuration.tlsProfile.rawValue)",
            ])
        return address
    }

    /// Serves until graceful shutdown (SIGTERM/SIGINT through `ServiceGroup`) or
    /// cancellation, then stops. SIGHUP reloads (`reload()`).
    public func run() async throws {
        // Trap SIGHUP before "listening" is logged, so no one can signal too early.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        if case .idle = lifecycle.withLockedValue({ $0 }) {
            try await start()
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in hangups {
                    await self.reload()
                }
            }
            try? await gracefulShutdown()
            // One line per stage of stopping, so a stop that stalls shows where.
            logger.info("graceful shutdown requested")
            group.cancelAll()
        }
        await stop()
    }

    /// Stops accepting, says `BYE` to every session and waits (at most
    /// `shutdownGracePeriod`) for their connections to close.
    public func stop() async {
        // Outer nil: already stopped. Inner nil: never listened (a failed bind),
        // which still owns thread pools, the database and the event loops to release.
        let state = lifecycle.withLockedValue { state -> (Channel, ServerQuiescingHelper)?? in
            defer { state = .stopped }
            switch state {
            case .listening(let channel, let quiescing): return .some((channel, quiescing))
            case .idle: return .some(nil)
            case .stopped: return nil
            }
        }
        guard case .some(var listening) = consume state else { return }
        logger.info("shutting down", metadata: ["connections": "\(connections.count)"])
        await stopMetrics()
        if let (listener, quiescing) = listening {
            await quiesce(listener, quiescing)
        }
        // The quiescing helper fails a promise of its own when it goes, on one of our
        // loops: it must go while they still run.
        listening = nil
        await accountWatcher.stop()
        await pruner.stop()
        await authenticator.shutdown()
        do {
            try store.close()
        } catch {
            logger.warning("closing the user database failed", metadata: ["error": "\(error)"])
        }
        try? await group.shutdownGracefully()
        logger.info("stopped")
    }

    private func makeBootstrap(quiescing: ServerQuiescingHelper) -> ServerBootstrap {
        let services = SessionServices(
            router: hub,
            conversations: conversations,
            accounts: directory,
            passwords: authenticator,
            throttle: throttle,
            logger: logger,
            metrics: metrics
        )
        let server = self
        let flushers = flushers
        let tlsWriteBuffers = tlsWriteBuffers
        let timeouts = timeouts
        let connections = connections
        let logger = logger
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        // Knows every accepted connection, for quiescing at shutdown.
                        quiescing.makeServerChannelHandler(channel: channel),
                        // Out of file descriptors: pause accepting for a moment
                        // instead of spinning on accept errors.
                        AcceptBackoffHandler(),
                    ])
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Caps are checked before any TLS work: an excess connection
                    // costs one accept and one close.
                    let admission = connections.admit(channel)
                    guard admission == .admitted else {
                        logger.warning(
                            "connection refused",
                            metadata: [
                                "peer": "\(channel.remoteAddress?.ipAddress ?? "?")",
                                "reason": "\(admission == .tooManyFromAddress ? "per-address limit" : "connection limit")",
                            ])
                        channel.close(promise: nil)
                        return
                    }
                    // Set here rather than as the bootstrap's child options, which NIO
                    // applies one future per option on every accepted connection.
                    if let options = channel.syncOptions {
                        // Chat lines are small and latency matters more than packet
                        // count; the TLS handler already coalesces what is queued
                        // together. (`.tcpOption`: `.socketOption(.tcp_nodelay)` is
                        // SOL_SOCKET option 1, SO_DEBUG, which needs CAP_NET_ADMIN;
                        // without it every accepted connection was closed.)
                        try options.setOption(.tcpOption(.tcp_nodelay), value: 1)
                        try options.setOption(.recvAllocator, value: Self.receiveBuffers)
                    }
                    // Read once per connection: a reload reaches new connections only.
                    let current = server.runningConfiguration
                    let tls = try TLSHandler.server(
                        context: server.currentTLSContext,
                        handshakeTimeout: current.handshakeTimeout,
                        writeBuffers: tlsWriteBuffers.value(for: channel.eventLoop)
                    )
                    let session = SessionHandler(
                        services: services,
                        settings: SessionHandler.Settings(current),
                        flusher: flushers.value(for: channel.eventLoop),
                        timeouts: timeouts.value(for: channel.eventLoop)
                    )
                    try channel.pipeline.syncOperations.addHandlers([tls, session])
                }
            }
    }

    /// NIO keeps each connection's receive buffer for reuse. Its default (2 KiB, growing
    /// to 64 KiB) is sized for bulk transfer; chat lines are small, so start at 512
    /// bytes and stop at 16 KiB (about a TLS record; sizes are powers of two): 1.5 KiB
    /// less per idle connection, and at most 16 KiB kept after a burst.
    private static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 16 * 1024)

    static func reason(_ error: Error) -> String {
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode))
        }
        return "\(error)"
    }
}
