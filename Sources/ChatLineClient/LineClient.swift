import ChatProtocol
import ChatTLS
import NIOCore
import NIOPosix

/// Where a line client connects: a host name (resolved by NIO) or an address.
public enum LineClientEndpoint: Sendable {
    case host(String, port: Int)
    case address(SocketAddress)
}

/// How the project's clients (`securechat`, the load generator, the test client)
/// connect to a securechat server: one TCP connection with TCP_NODELAY, the project's
/// OpenSSL client (`TLSHandler`, verifying `serverName`, which is also sent as SNI),
/// `LineFrameDecoder`, and a `LineClientHandler` at the end.
public struct LineClient: Sendable {
    /// Longest server line accepted by default. The server's own lines stay well
    /// below its 4096-byte input limit plus framing; this only bounds a hostile server.
    public static let defaultMaxLineLength = 64 * 1024

    public var context: TLSContext
    public var serverName: String
    public var maxLineLength: Int
    public var connectTimeout: TimeAmount
    public var handshakeTimeout: TimeAmount
    /// After our close_notify, how long to wait for the server to hang up.
    public var closeTimeout: TimeAmount
    /// SO_RCVBUF, set before connecting so that the window the server sees is small
    /// from the start (a client that is going to stop reading); nil: the system's.
    public var receiveBufferBytes: Int?

    public init(
        context: TLSContext,
        serverName: String,
        maxLineLength: Int = LineClient.defaultMaxLineLength,
        connectTimeout: TimeAmount = .seconds(10),
        handshakeTimeout: TimeAmount = TLSHandler.defaultHandshakeTimeout,
        closeTimeout: TimeAmount = TLSHandler.defaultCloseTimeout,
        receiveBufferBytes: Int? = nil
    ) {
        self.context = context
        self.serverName = serverName
        self.maxLineLength = maxLineLength
        self.connectTimeout = connectTimeout
        self.handshakeTimeout = handshakeTimeout
        self.closeTimeout = closeTimeout
        self.receiveBufferBytes = receiveBufferBytes
    }

    /// Opens the TCP connection; the TLS handshake starts at once and everything after
    /// arrives as events at the handler `makeHandler` returns, which runs on the
    /// channel's event loop.
    public func connect(
        to endpoint: LineClientEndpoint,
        group: any EventLoopGroup,
        makeHandler: @escaping @Sendable () -> LineClientHandler
    ) -> EventLoopFuture<any Channel> {
        // `.socketOption(.tcp_nodelay)` would be SOL_SOCKET option 1, SO_DEBUG.
        var bootstrap = ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
        if let receiveBufferBytes {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferBytes))
        }
        bootstrap = bootstrap.channelInitializer { [self] channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandlers([
                    try TLSHandler.client(
                        context: context,
                        serverName: serverName,
                        handshakeTimeout: handshakeTimeout,
                        closeTimeout: closeTimeout
                    ),
                    ByteToMessageHandler(LineFrameDecoder(maxLineLength: maxLineLength)),
                    makeHandler(),
                ])
            }
        }
        switch endpoint {
        case .host(let host, let port):
            return bootstrap.connect(host: host, port: port)
        case .address(let address):
            return bootstrap.connect(to: address)
        }
    }

    /// Connects and completes the TLS handshake; throws `TLSError` if it fails, or
    /// NIO's error when no TCP connection can be made. From `handshakeCompleted` on,
    /// events go to `onEvent`, on the channel's event loop; it must not block.
    public func connect(
        to endpoint: LineClientEndpoint,
        group: any EventLoopGroup,
        onEvent: @escaping @Sendable (LineClientEvent) -> Void
    ) async throws -> (channel: any Channel, session: TLSSessionInfo) {
        let handshake = group.any().makePromise(of: TLSSessionInfo.self)
        let channel: any Channel
        do {
            channel = try await connect(to: endpoint, group: group) {
                LineClientHandler(handshake: handshake, onEvent: onEvent)
            }.get()
        } catch {
            handshake.fail(error)
            throw error
        }
        do {
            return (channel, try await handshake.futureResult.get())
        } catch {
            try? await channel.close()
            throw error
        }
    }
}
