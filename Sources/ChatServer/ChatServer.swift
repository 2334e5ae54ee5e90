import ChatCrypto
import ChatProtocol
import ChatStore
import ChatTLS
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

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
    private let tlsContext: TLSContext
    private let hub = Hub()
    private let authenticator: Authenticator
    private let connections = ConnectionTracker()
    private let group: MultiThreadedEventLoopGroup
    private let lifecycle = Mutex(Lifecycle.idle)

    public init(configuration: ServerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        do {
            self.tlsContext = try TLSContext.server(
                certificateChainPath: configuration.certificateChainPath,
                privateKeyPath: configuration.privateKeyPath,
                profile: configuration.tlsProfile
            )
        } catch let error as TLSError {
            throw StartupError("cannot load TLS certificate and key: \(error.diagnostics)")
        }
        let store: UserStore
        do {
            store = try UserStore(path: configuration.databasePath)
        } catch {
            throw StartupError("cannot open user database: \(error)")
        }
        self.authenticator = try Authenticator(
            store: store,
            hasher: PasswordHasher(cost: configuration.passwordCost),
            threads: configuration.hashingThreads,
            maxQueued: configuration.maxQueuedPasswordChecks,
            logger: logger
        )
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
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
        let accepted = lifecycle.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .listening(channel)
            return true
        }
        guard accepted else {
            try? await channel.close()
            throw StartupError("server already started or stopped")
        }
        let address = channel.localAddress!
        logger.info("listening", metadata: [
            "address": "\(configuration.host):\(address.port ?? configuration.port)",
            "tls": "\(configuration.tlsProfile.rawValue)",
        ])
        return address
    }

    /// Serves until graceful shutdown (SIGTERM/SIGINT through `ServiceGroup`) or
    /// cancellation, then stops.
    public func run() async throws {
        if case .idle = lifecycle.withLock({ $0 }) {
            try await start()
        }
        try? await gracefulShutdown()
        await stop()
    }

    /// Stops accepting, says `BYE` to every session and waits (at most
    /// `shutdownGracePeriod`) for their connections to close.
    public func stop() async {
        let listener = lifecycle.withLock { state -> Channel? in
            defer { state = .stopped }
            if case .listening(let channel) = state { return channel }
            return nil
        }
        guard let listener else { return }
        logger.info("shutting down", metadata: ["connections": "\(connections.count)"])
        try? await listener.close()

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
        }
        await authenticator.shutdown()
        try? await group.shutdownGracefully()
        logger.info("stopped")
    }

    private func makeBootstrap() -> ServerBootstrap {
        let settings = SessionHandler.Settings(
            serverName: configuration.serverName,
            maxLoginFailures: configuration.maxLoginFailures,
            maxOutboundQueueBytes: configuration.maxOutboundQueueBytes
        )
        let tlsContext = tlsContext
        let handshakeTimeout = configuration.handshakeTimeout
        let maxLineLength = configuration.maxLineLength
        let hub = hub
        let authenticator = authenticator
        let connections = connections
        let logger = logger
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Chat lines are small and latency matters more than packet count; the
            // TLS handler already coalesces what is queued together.
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    connections.add(channel)
                    let tls = try TLSHandler(context: tlsContext, handshakeTimeout: handshakeTimeout)
                    let session = SessionHandler(settings: settings, hub: hub, authenticator: authenticator, logger: logger)
                    try channel.pipeline.syncOperations.addHandlers([
                        tls,
                        ByteToMessageHandler(LineFrameDecoder(maxLineLength: maxLineLength)),
                        session,
                    ])
                }
            }
    }

    private static func reason(_ error: Error) -> String {
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode))
        }
        return "\(error)"
    }
}
