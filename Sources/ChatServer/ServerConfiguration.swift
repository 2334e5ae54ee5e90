import ChatCrypto
import ChatTLS
import NIOCore
import NIOPosix

/// Everything an operator can tune. Each limit has a named default here, a
/// `securechat-server` option, and a test that crosses it.
public struct ServerConfiguration: Sendable {
    /// Address to listen on. Loopback by default: exposing a chat server is a choice.
    public var host = "127.0.0.1"
    public var port = 7443
    /// Shown in `HELLO`.
    public var serverName = "securechat"

    /// PEM: leaf certificate first, then intermediates.
    public var certificateChainPath = "certs/server.pem"
    public var privateKeyPath = "certs/server-key.pem"
    public var tlsProfile: TLSProfile = .intermediate

    /// The SQLite user store; shared with `chat-useradd`.
    public var databasePath = "data/securechat.db"

    /// Longest accepted line, in bytes without its terminator. Bounds what a peer can
    /// make the server buffer before it has said anything meaningful.
    public var maxLineLength = 4096
    /// Bytes waiting to be sent to one session before it is treated as a slow consumer
    /// and disconnected (≈ 2,000 typical chat lines). Bounds memory per connection and
    /// keeps one stalled reader from slowing the room.
    public var maxOutboundQueueBytes = 256 * 1024
    /// A peer must finish the TLS handshake within this time.
    public var handshakeTimeout: TimeAmount = TLSHandler.defaultHandshakeTimeout
    /// Failed logins allowed on one connection before `BYE` and close (as OpenSSH's
    /// MaxAuthTries, but lower: each attempt costs the server an Argon2id run).
    public var maxLoginFailures = 3

    /// Cost of new password hashes; older, weaker hashes are upgraded at login.
    public var passwordCost: PasswordCost = .interactive
    /// Concurrent Argon2id runs. Each holds `passwordCost.memLimit` bytes (64 MiB by
    /// default) and a whole core for ~100 ms, so more than the core count only adds
    /// memory and latency.
    public var hashingThreads = System.coreCount
    /// Password checks that may wait for a hashing thread; past this a login gets
    /// `ERR busy` at once instead of queueing without bound.
    public var maxQueuedPasswordChecks = 64

    /// Event loop threads serving connections.
    public var eventLoopThreads = System.coreCount
    /// On shutdown, how long sessions get to receive `BYE` and close cleanly.
    public var shutdownGracePeriod: TimeAmount = .seconds(5)

    public init() {}
}
