import ChatCrypto
import ChatProtocol
import ChatStore
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
    /// What a commit survives. Both values survive a crash of the process; `.full`
    /// also survives a power cut, at one fsync per batch of messages (see
    /// `SQLiteStore.Durability`).
    public var databaseDurability: SQLiteStore.Durability = .normal

    /// How much history to keep (30 days, 100,000 events per conversation: see
    /// `RetentionPolicy` for why). Read at each pruning pass.
    public var retention = RetentionPolicy.default
    /// How often the pruning pass runs; it also runs once at start-up. Each pass
    /// deletes in bounded steps off the event loops, so it never stalls chat.
    public var pruneInterval: TimeAmount = .hours(1)
    /// Direct messages that may wait for one offline account (ejabberd's default);
    /// past it the sender gets `ERR mailbox-full`.
    public var offlineQueueLimit = defaultOfflineQueueLimit
    /// Off only to measure what storing costs (`Scripts/bench-durable`): room
    /// messages and DMs to online accounts are then fanned out at once and never
    /// kept, so there is no history and no catch-up. Offline DMs are still stored.
    public var storesMessages = true

    /// Longest accepted line, in bytes without its terminator. Bounds what a peer can
    /// make the server buffer before it has said anything meaningful.
    public var maxLineLength = ProtocolLimits.defaultMaxLineLength
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
    public var hashingThreads = UsableCores.count
    /// Password checks that may wait for a hashing thread; past this a login gets
    /// `ERR busy` at once instead of queueing without bound.
    public var maxQueuedPasswordChecks = 64

    /// Open connections in all; past it new ones are closed at once, before any TLS
    /// work. Bounds file descriptors and memory (ngIRCd and Ergo have the same knob).
    public var maxConnections = 10_000
    /// Open connections from one IP address (Ergo's default is 16). A NAT can hide
    /// many people behind one address: raise it for such a deployment.
    public var maxConnectionsPerIP = 16
    /// After the handshake, a connection has this long to log in (OpenSSH's
    /// LoginGraceTime, tightened from its 120 s: a chat login is one line).
    public var loginGracePeriod: TimeAmount = .seconds(30)
    /// With no line from the client for this long, the server sends `PING`…
    public var idleTimeout: TimeAmount = .seconds(300)
    /// …and closes the connection if no line arrives within this much more.
    public var pingTimeout: TimeAmount = .seconds(60)
    /// Steady rate of lines a session may send, per second; 0 turns the limit off.
    /// Lines beyond it are delayed, not dropped (Ergo's "fakelag").
    public var linesPerSecond = 5.0
    /// Lines a session may send at once before the steady rate applies (a paste).
    public var lineBurst = 20
    /// Lines, and bytes of them, that a connection may have waiting before it has
    /// logged in (typed ahead, or sent while its password is checked). A person or
    /// client needs one or two; past either the connection is ended with
    /// `ERR flood`, so a pipelined flood cannot park memory for the grace period.
    public var maxLinesBeforeLogin = 16
    public var maxBytesBeforeLogin = 16 * 1024
    /// How often the server reads the account change feed to end the sessions of
    /// accounts locked, deleted, re-created or given a new password by another process
    /// (`chat-useradd`): such a change takes effect within about this long.
    public var accountCheckInterval: TimeAmount = .milliseconds(500)
    /// Rooms one account may be in at once, counted over all its sessions, `#lobby`
    /// aside (Ergo's max-channels-per-client is 100 too). A `/join` past it gets
    /// `ERR too-many-rooms`. Without it one account could create rooms until every
    /// listing and the hub's tables are as large as it likes.
    public var maxRoomsPerAccount = 100
    /// Rooms on the server, `#lobby` aside; creating one more gets
    /// `ERR too-many-rooms`, while joining an existing room still works. Bounds the
    /// hub's memory whatever the number of accounts.
    public var maxRooms = 10_000
    /// Names in one `ROOMS` or `USERS` line; more come in pages (PROTOCOL.md). With
    /// 33-byte names a line stays under 3.5 KB, so asking never fills a session's
    /// outbound queue, whatever the number of rooms or members.
    public var maxNamesPerLine = 100
    /// Failed logins make the next attempt from the same address, or for the same
    /// account, wait: `loginPenaltyBase` doubled per recent failure, at most
    /// `loginPenaltyMax` (Dovecot's auth penalty; OpenSSH's PerSourcePenalties).
    public var loginPenaltyBase: TimeAmount = .milliseconds(250)
    public var loginPenaltyMax: TimeAmount = .seconds(15)
    /// A failure is forgotten this long after the last one.
    public var loginPenaltyDecay: TimeAmount = .seconds(900)

    /// Accept a private key or database reached through a symbolic link (refused by
    /// default: a link can point a secret somewhere less protected).
    public var allowSymlinkedSecrets = false
    /// Warn at startup and reload when the certificate expires within this many days.
    public var certificateExpiryWarningDays = 30

    /// Event loop threads serving connections.
    public var eventLoopThreads = UsableCores.count
    /// On shutdown, how long sessions get to receive `BYE` and close cleanly.
    public var shutdownGracePeriod: TimeAmount = .seconds(5)

    /// Where to serve Prometheus metrics over plain HTTP (`GET /metrics`); nil, the
    /// default, counts nothing and opens no port. It carries no user data but is
    /// neither encrypted nor authenticated: loopback or a private interface only.
    public var metricsListen: MetricsAddress? = nil

    public init() {}
}
