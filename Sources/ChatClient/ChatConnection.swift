import ChatProtocol
import ChatTLS
import NIOCore
import NIOPosix

/// A TLS connection to a securechat server: socket → `TLSHandler` (the project's
/// OpenSSL client) → `LineFrameDecoder` → lines handed to `onEvent`.
///
/// `onEvent` is called on the connection's event loop, in order; it must not block
/// (the runners pass an `AsyncStream` continuation).
public final class ChatConnection: Sendable {
    public enum Event: Sendable, Equatable {
        case line(String)
        /// The connection is gone; `reason` is nil after a clean TLS close.
        case closed(reason: String?)
    }

    /// Longest server line accepted. The server's own lines stay well below its
    /// 4096-byte input limit plus framing; this only bounds a hostile server.
    static let maxLineLength = 64 * 1024

    public let session: TLSSessionInfo
    private let channel: Channel

    private init(channel: Channel, session: TLSSessionInfo) {
        self.channel = channel
        self.session = session
    }

    /// Connects and completes the TLS handshake; throws `TLSError` if it fails, or
    /// NIO's error when no TCP connection can be made.
    public static func connect(
        host: String,
        port: Int,
        context: TLSContext,
        group: EventLoopGroup,
        handshakeTimeout: TimeAmount = TLSHandler.defaultHandshakeTimeout,
        onEvent: @escaping @Sendable (Event) -> Void
    ) async throws -> ChatConnection {
        let handshake = group.any().makePromise(of: TLSSessionInfo.self)
        let connecting = ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        try TLSHandler.client(context: context, serverName: host, handshakeTimeout: handshakeTimeout),
                        ByteToMessageHandler(LineFrameDecoder(maxLineLength: maxLineLength)),
                        LineForwarder(handshake: handshake, onEvent: onEvent),
                    ])
                }
            }
            .connect(host: host, port: port)
        let channel: Channel
        do {
            channel = try await connecting.get()
        } catch {
            handshake.fail(error)
            throw error
        }
        do {
            return ChatConnection(channel: channel, session: try await handshake.futureResult.get())
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Sends lines, each followed by LF, in one flush. Failures show up as `.closed`.
    public func send(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        var buffer = channel.allocator.buffer(capacity: lines.reduce(0) { $0 + $1.utf8.count + 1 })
        for line in lines {
            buffer.writeString(line)
            buffer.writeStaticString("\n")
        }
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// Closes with TLS close_notify (the handler waits a bounded time for the peer).
    public func close() async {
        try? await channel.close()
    }

    /// Reports the handshake and forwards lines and the end of the connection.
    private final class LineForwarder: ChannelInboundHandler {
        typealias InboundIn = InboundLine

        private let handshake: EventLoopPromise<TLSSessionInfo>
        private let onEvent: @Sendable (Event) -> Void
        private var handshakeDone = false
        private var failure: String?

        init(handshake: EventLoopPromise<TLSSessionInfo>, onEvent: @escaping @Sendable (Event) -> Void) {
            self.handshake = handshake
            self.onEvent = onEvent
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted(let info) = event as? TLSEvent, !handshakeDone {
                handshakeDone = true
                handshake.succeed(info)
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .text(let line):
                onEvent(.line(line))
            case .badEncoding:
                // The server never sends these; show that something was dropped.
                onEvent(.line("\u{FFFD}"))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            if !handshakeDone {
                handshakeDone = true
                handshake.fail(error)
            } else if failure == nil {
                if let tls = error as? TLSError, tls.kind == .uncleanShutdown {
                    failure = "the connection was cut without a TLS close"
                } else {
                    failure = "\(error)"
                }
            }
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !handshakeDone {
                handshakeDone = true
                handshake.fail(ChannelError.eof)
                return
            }
            onEvent(.closed(reason: failure))
        }
    }
}
