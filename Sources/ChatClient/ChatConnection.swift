import ChatLineClient
import ChatProtocol
import ChatTLS
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TLS connection to a securechat server over the shared line-client pipeline
/// (`LineClient`: the project's OpenSSL client → `LineFrameDecoder`), with lines
/// handed to `onEvent`.
///
/// `onEvent` is called on the connection's event loop, in order; it must not block
/// (the runners pass an `AsyncStream` continuation).
public final class ChatConnection: Sendable {
    public enum Event: Sendable, Equatable {
        case line(String)
        /// The connection is gone; `reason` is nil after a clean TLS close.
        case closed(reason: String?)
    }

    public let session: TLSSessionInfo
    private let channel: any Channel

    private init(channel: any Channel, session: TLSSessionInfo) {
        self.channel = channel
        self.session = session
    }

    /// The server accepted the TCP connection and then closed or reset it before
    /// the TLS handshake was done: what a server does at its per-address or total
    /// connection limit, so the message says that rather than a bare reset.
    public struct ClosedBeforeTLS: Error, CustomStringConvertible {
        public var description: String {
            "the server closed the connection before TLS began (it may limit connections per address, or be full); try again later"
        }
    }

    /// Connects and completes the TLS handshake; throws `TLSError` if it fails,
    /// `ClosedBeforeTLS` when the server hangs up before the handshake is done, or
    /// NIO's error when no TCP connection can be made.
    public static func connect(
        host: String,
        port: Int,
        context: TLSContext,
        group: any EventLoopGroup,
        handshakeTimeout: TimeAmount = TLSHandler.defaultHandshakeTimeout,
        onEvent: @escaping @Sendable (Event) -> Void
    ) async throws -> ChatConnection {
        let client = LineClient(context: context, serverName: host, handshakeTimeout: handshakeTimeout)
        let connected: (channel: any Channel, session: TLSSessionInfo)
        do {
            connected = try await client.connect(to: .host(host, port: port), group: group) { event in
                switch event {
                case .handshakeCompleted:
                    break
                case .line(.text(let line)):
                    onEvent(.line(line))
                case .line(.badEncoding):
                    // The server never sends these; show that something was dropped.
                    onEvent(.line("\u{FFFD}"))
                case .closed(let error):
                    onEvent(.closed(reason: error.map(describe)))
                }
            }
        } catch {
            if isClosedBeforeTLS(error) { throw ClosedBeforeTLS() }
            throw error
        }
        return ChatConnection(channel: connected.channel, session: connected.session)
    }

    /// An end of file or a reset while the handshake was under way, before the
    /// server showed a certificate. A refused certificate or a TLS mismatch is not.
    static func isClosedBeforeTLS(_ error: any Error) -> Bool {
        switch error {
        case let channel as ChannelError:
            return channel == .eof || channel == .ioOnClosedChannel || channel == .alreadyClosed || channel == .outputClosed
        case let io as IOError:
            return io.errnoCode == ECONNRESET || io.errnoCode == EPIPE
        case let tls as TLSError:
            guard tls.serverCertificate == nil else { return false }
            if tls.kind == .uncleanShutdown { return true }
            let text = tls.diagnostics.lowercased()
            return tls.kind != .handshakeTimeout
                && (text.contains("eof") || text.contains("reset") || text.contains("unexpected end"))
        default:
            return false
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let tls = error as? TLSError, tls.kind == .uncleanShutdown {
            return "the connection was cut without a TLS close"
        }
        return "\(error)"
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
}
