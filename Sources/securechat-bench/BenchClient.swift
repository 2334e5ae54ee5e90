import ChatProtocol
import ChatTLS
import NIOCore
import NIOPosix

/// Where and how the generator connects: a loopback address and the project's own
/// client TLS context (full verification against the bench CA, no resumption).
struct BenchTarget: Sendable {
    let address: SocketAddress
    let serverName: String
    let tls: TLSContext
}

/// What a scenario hears from its client connections, numbered by the scenario.
/// Everything runs on the generator's one event loop.
protocol ClientEvents: AnyObject {
    func handshakeCompleted(client: Int, info: TLSSessionInfo)
    func received(_ line: String, client: Int)
    func failed(client: Int, error: any Error)
    func closed(client: Int)
}

/// The last handler of a client pipeline (TLS → line decoder → this): forwards
/// lines and lifecycle events to the scenario, tagged with the client's number.
final class ClientHandler: ChannelInboundHandler {
    typealias InboundIn = InboundLine

    private let client: Int
    private let events: any ClientEvents
    private var reportedFailure = false

    init(client: Int, events: any ClientEvents) {
        self.client = client
        self.events = events
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted(let info) = event as? TLSEvent {
            events.handshakeCompleted(client: client, info: info)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .text(let line):
            events.received(line, client: client)
        case .badEncoding:
            events.received("<bad encoding>", client: client)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The server ends sessions with close_notify; an unclean close after our own
        // close is no failure of the server's, but anything else is.
        if case let error as TLSError = error, error.kind == .uncleanShutdown {
            return
        }
        if !reportedFailure {
            reportedFailure = true
            events.failed(client: client, error: error)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        events.closed(client: client)
    }
}

enum BenchClient {
    /// After our close_notify, how long a client waits for the server to hang up.
    static let closeTimeout: TimeAmount = .seconds(2)

    /// Opens client `client`'s TCP connection; the TLS handshake starts at once and
    /// its completion arrives as `handshakeCompleted`. `receiveBufferBytes` sets a
    /// small SO_RCVBUF for a client that is going to stop reading.
    static func connect(
        client: Int,
        to target: BenchTarget,
        events: NIOLoopBound<any ClientEvents>,
        receiveBufferBytes: Int? = nil,
        on loop: any EventLoop
    ) -> EventLoopFuture<any Channel> {
        var bootstrap = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
        if let receiveBufferBytes {
            // Set before connect, so the window the server sees is small from the start.
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferBytes))
        }
        return bootstrap
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        try TLSHandler.client(
                            context: target.tls,
                            serverName: target.serverName,
                            closeTimeout: closeTimeout
                        ),
                        ByteToMessageHandler(LineFrameDecoder(maxLineLength: 1 << 16)),
                        ClientHandler(client: client, events: events.value),
                    ])
                }
            }
            .connect(to: target.address)
    }

    /// `line` and its LF, ready to write.
    static func encode(_ line: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: line.utf8.count + 1)
        buffer.writeString(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        return buffer
    }
}
