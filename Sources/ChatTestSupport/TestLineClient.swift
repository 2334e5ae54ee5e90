import ChatProtocol
import ChatTLS
import NIOCore
import NIOPosix

/// A TLS line client for tests: the project's own client `TLSContext` and
/// `TLSHandler`, over a real socket, collecting the server's lines.
public final class TestLineClient: Sendable {
    public let channel: Channel
    public let session: TLSSessionInfo
    private let inbox: LineInbox

    private init(channel: Channel, session: TLSSessionInfo, inbox: LineInbox) {
        self.channel = channel
        self.session = session
        self.inbox = inbox
    }

    /// Connects and completes the TLS handshake (verifying the server against
    /// `trustRootsPath` and `serverName`); throws the `TLSError` if it fails.
    public static func connect(
        port: Int,
        host: String = "127.0.0.1",
        serverName: String = "127.0.0.1",
        context: TLSContext,
        group: EventLoopGroup,
        receiveBufferSize: Int? = nil
    ) async throws -> TestLineClient {
        let inbox = LineInbox()
        let handshake = group.any().makePromise(of: TLSSessionInfo.self)
        var bootstrap = ClientBootstrap(group: group)
        if let receiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
        }
        let connecting = bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        try TLSHandler.client(context: context, serverName: serverName),
                        ByteToMessageHandler(LineFrameDecoder(maxLineLength: 1 << 20)),
                        Collector(inbox: inbox, handshake: handshake),
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
            let session = try await handshake.futureResult.get()
            return TestLineClient(channel: channel, session: session, inbox: inbox)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// Sends `line` followed by LF.
    public func send(_ line: String) async throws {
        try await sendRaw(Array((line + "\n").utf8))
    }

    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// The next line from the server, nil once it closed; throws on timeout.
    public func nextLine(timeout: TimeAmount = .seconds(10)) async throws -> String? {
        try await inbox.next(timeout: timeout, on: channel.eventLoop)
    }

    /// Reads lines until the server closes the connection; returns them.
    public func linesUntilClosed(timeout: TimeAmount = .seconds(10)) async throws -> [String] {
        var lines: [String] = []
        while let line = try await nextLine(timeout: timeout) {
            lines.append(line)
        }
        return lines
    }

    /// Stops reading from the socket, like a peer that has stalled.
    public func stopReading() async throws {
        try await channel.setOption(.autoRead, value: false).get()
    }

    public func close() async {
        try? await channel.close()
    }

    /// Feeds lines to the inbox and reports the handshake.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = InboundLine

        let inbox: LineInbox
        let handshake: EventLoopPromise<TLSSessionInfo>
        var handshakeDone = false

        init(inbox: LineInbox, handshake: EventLoopPromise<TLSSessionInfo>) {
            self.inbox = inbox
            self.handshake = handshake
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted(let info) = event as? TLSEvent {
                handshakeDone = true
                handshake.succeed(info)
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .text(let line): inbox.push(line)
            case .badEncoding: inbox.push("<bad encoding>")
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            if !handshakeDone {
                handshakeDone = true
                handshake.fail(error)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !handshakeDone {
                handshakeDone = true
                handshake.fail(ChannelError.eof)
            }
            inbox.finish()
        }
    }
}
