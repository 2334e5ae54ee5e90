import ChatTLS
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import XCTest

/// What one end of loopback connections saw, shared between its event loop and the test.
final class ConnectionLog: Sendable {
    struct Snapshot: Sendable {
        var received: [UInt8] = []
        var sessions: [TLSSessionInfo] = []
        var errors: [Error] = []
        var inactiveCount = 0

        var receivedText: String { String(decoding: received, as: UTF8.self) }
        var tlsErrorKinds: [TLSError.Kind] { errors.compactMap { ($0 as? TLSError)?.kind } }
    }

    private let state = NIOLockedValueBox(Snapshot())

    var snapshot: Snapshot { state.withLockedValue { $0 } }

    func update(_ body: (inout Snapshot) -> Void) {
        state.withLockedValue { body(&$0) }
    }

    /// Polls until `condition` holds or `timeout` passes, and returns what was seen
    /// either way: the caller's assertions then fail with the evidence.
    func wait(timeout: Duration = .seconds(10), until condition: (Snapshot) -> Bool) async throws -> Snapshot {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current = snapshot
            if condition(current) || ContinuousClock.now >= deadline {
                return current
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Writes what reaches the end of the pipeline into a `ConnectionLog`; with `echo`, also
/// sends every chunk straight back.
final class LoggingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let log: ConnectionLog
    private let echo: Bool

    init(log: ConnectionLog, echo: Bool) {
        self.log = log
        self.echo = echo
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        log.update { $0.received += Array(buffer: buffer) }
        if echo {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted(let info) = event as? TLSEvent {
            log.update { $0.sessions.append(info) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        log.update { $0.errors.append(error) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        log.update { $0.inactiveCount += 1 }
        context.fireChannelInactive()
    }
}

/// TLS over real sockets on 127.0.0.1: a listener on port 0 and clients of it.
enum Loopback {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// A listener whose every connection runs a server `TLSHandler` and a `LoggingHandler`.
    static func startServer(context: TLSContext, log: ConnectionLog, echo: Bool = false) async throws -> (listener: Channel, port: Int) {
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        TLSHandler.server(context: context),
                        LoggingHandler(log: log, echo: echo)
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = try XCTUnwrap(listener.localAddress?.port)
        return (listener, port)
    }

    /// A client connection with a client `TLSHandler` that verifies `serverName`.
    static func connect(port: Int, context: TLSContext, serverName: String = "127.0.0.1", log: ConnectionLog) async throws -> Channel {
        try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        TLSHandler.client(context: context, serverName: serverName),
                        LoggingHandler(log: log, echo: false)
                    )
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
    }

    /// Closes the socket underneath the TLS handler: the peer sees the TCP connection
    /// end without a close_notify.
    static func dropConnection(_ channel: Channel) async throws {
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.context(handlerType: TLSHandler.self).close(promise: nil)
        }.get()
        try await channel.closeFuture.get()
    }
}
