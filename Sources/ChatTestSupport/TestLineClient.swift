import ChatLineClient
import ChatProtocol
import ChatTLS
import NIOCore

/// A TLS line client for tests: the shared line-client pipeline (`LineClient`: the
/// project's own `TLSHandler` and `LineFrameDecoder`) over a real socket, collecting
/// the server's lines in an inbox.
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
        let client = LineClient(
            context: context,
            serverName: serverName,
            // Far above the server's own lines: a test sees whatever the server sends.
            maxLineLength: 1 << 20,
            receiveBufferBytes: receiveBufferSize
        )
        let (channel, session) = try await client.connect(to: .host(host, port: port), group: group) { event in
            switch event {
            case .handshakeCompleted: break
            case .line(.text(let line)): inbox.push(line)
            case .line(.badEncoding): inbox.push("<bad encoding>")
            case .closed: inbox.finish()
            }
        }
        return TestLineClient(channel: channel, session: session, inbox: inbox)
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
}
