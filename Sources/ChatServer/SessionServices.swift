import Logging
import NIOCore

/// What every session of a server shares: its settings and the parts it talks to,
/// through the protocols in `SessionDependencies.swift`. One object for all
/// sessions, so each connection holds one reference instead of six.
final class SessionServices: Sendable {
    let router: any ChatRouting
    let conversations: Conversations
    let passwords: any PasswordChecking
    let throttle: LoginThrottle
    let commands: SessionCommands
    /// The server's logger, without per-session metadata: `SessionHandler.log` adds
    /// who a session is only to lines that are actually emitted, so an idle session
    /// holds no metadata dictionary (about 450 bytes each, measured) and formats no
    /// strings for levels that are off.
    let logger: Logger
    /// Nil when metrics are off.
    let metrics: ServerMetrics?

    init(
        router: any ChatRouting,
        conversations: Conversations,
        accounts: any AccountLookups,
        passwords: any PasswordChecking,
        throttle: LoginThrottle,
        logger: Logger,
        metrics: ServerMetrics? = nil
    ) {
        self.router = router
        self.passwords = passwords
        self.throttle = throttle
        self.logger = logger
        self.metrics = metrics
        self.conversations = conversations
        self.commands = SessionCommands(
            router: router, conversations: conversations, accounts: accounts, passwords: passwords, throttle: throttle)
    }
}

extension SessionHandler {
    /// The per-session limits, from `ServerConfiguration`: read when the connection
    /// opens, so a reload reaches new connections only.
    struct Settings: Sendable {
        var serverName: String
        var maxLoginFailures: Int
        var maxOutboundQueueBytes: Int
        var loginGracePeriod: TimeAmount
        var idleTimeout: TimeAmount
        var pingTimeout: TimeAmount
        var linesPerSecond: Double
        var lineBurst: Int
        var maxLinesBeforeLogin: Int
        var maxBytesBeforeLogin: Int
        var maxLineLength: Int
    }
}

extension SessionHandler.Settings {
    init(_ configuration: ServerConfiguration) {
        self.init(
            serverName: configuration.serverName,
            maxLoginFailures: configuration.maxLoginFailures,
            maxOutboundQueueBytes: configuration.maxOutboundQueueBytes,
            loginGracePeriod: configuration.loginGracePeriod,
            idleTimeout: configuration.idleTimeout,
            pingTimeout: configuration.pingTimeout,
            linesPerSecond: configuration.linesPerSecond,
            lineBurst: configuration.lineBurst,
            maxLinesBeforeLogin: configuration.maxLinesBeforeLogin,
            maxBytesBeforeLogin: configuration.maxBytesBeforeLogin,
            maxLineLength: configuration.maxLineLength
        )
    }
}

extension InputGate {
    init(_ settings: SessionHandler.Settings, now: NIODeadline) {
        self.init(
            linesPerSecond: settings.linesPerSecond,
            burst: settings.lineBurst,
            maxLinesBeforeLogin: settings.maxLinesBeforeLogin,
            maxBytesBeforeLogin: settings.maxBytesBeforeLogin,
            now: now
        )
    }
}

extension SessionDeadlines {
    init(_ settings: SessionHandler.Settings, now: NIODeadline) {
        self.init(
            loginGracePeriod: settings.loginGracePeriod,
            idleTimeout: settings.idleTimeout,
            pingTimeout: settings.pingTimeout,
            now: now
        )
    }
}
