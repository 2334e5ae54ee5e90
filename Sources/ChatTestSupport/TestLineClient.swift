import ChatLineClient
import ChatProtocol
import ChatTLS
import NIOConcurrencyHelpers
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

    /// Writes `bytes`; throws if the write has not completed within `timeout` (a
    /// server that stopped reading makes a test fail, not hang).
    public func sendRaw(_ bytes: [UInt8], timeout: TimeAmount = .seconds(20)) async throws {
        try await Self.bounded(channel.writeAndFlush(ByteBuffer(bytes: bytes)), timeout: timeout)
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

    /// Reads again after `stopReading()`.
    public func resumeReading() async throws {
        try await channel.setOption(.autoRead, value: true).get()
    }

    /// Closes the connection, waiting at most `timeout` for TLS to finish: a test's
    /// clean-up must never hang it.
    public func close(timeout: TimeAmount = .seconds(10)) async {
        try? await Self.bounded(channel.close(), timeout: timeout)
    }

    struct Timeout: Error, CustomStringConvertible {
        let description = "timed out waiting for the connection"
    }

    /// `future`'s result, or `Timeout` after `timeout`, whichever comes first.
    private static func bounded<Value: Sendable>(_ future: EventLoopFuture<Value>, timeout: TimeAmount) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let resumed = NIOLockedValueBox(false)
            let resume: @Sendable (Result<Value, Error>) -> Void = { result in
                let first = resumed.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(with: result) }
            }
            let timer = future.eventLoop.scheduleTask(in: timeout) { resume(.failure(Timeout())) }
            future.whenComplete { result in
                timer.cancel()
                resume(result)
            }
        }
    }
}
