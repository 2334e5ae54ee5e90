import Configuration

/// One key of securechat-server's configuration: its name in a file, its environment
/// variable and its flag (if it has one), whether SIGHUP applies a change to it, and
/// where its value lands in `ServerSettings`.
///
/// Keys are lower-case words joined by `-`, grouped in sections by `.`
/// (`limits.max-line-length`); the environment variable is derived mechanically
/// (`SECURECHAT_LIMITS_MAX_LINE_LENGTH`). Every duration is in seconds, fractions
/// allowed.
protocol ServerSetting: Sendable {
    var key: String { get }
    /// The flag that sets it, for `--print-config` (the option itself is declared in
    /// `SecureChatServerCommand`); nil for keys set in files and the environment only.
    var flag: String? { get }
    /// Whether SIGHUP applies a changed value (to new connections); the others need a
    /// restart. Must agree with `ServerConfiguration.takingRuntimeChanges(from:)`.
    var reloads: Bool { get }
    var type: ConfigType { get }
    var expected: String { get }
    func apply(_ content: ConfigContent, to settings: inout ServerSettings) throws(InvalidSettingValue)
    func content(of settings: ServerSettings) -> ConfigContent
}

extension ServerSetting {
    var environmentVariable: String { ServerSettings.environmentVariable(for: key) }
    var isSecret: Bool { ServerSettings.isSecretKey(key) }
}

extension ServerSettings {
    /// `limits.max-line-length` → `SECURECHAT_LIMITS_MAX_LINE_LENGTH`, as
    /// swift-configuration's `EnvironmentVariablesProvider` encodes the key
    /// `securechat.limits.max-line-length`.
    static func environmentVariable(for key: String) -> String {
        "SECURECHAT_" + String(key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// A secret's value is never printed or logged: a key with the word `password`
    /// or `secret` in its name, or `key-material`. No key holds one today (the private
    /// key is given as a path; `allow-symlinked-secrets` is a yes or no); the rule is
    /// here so that a key added later is hidden from the start.
    static func isSecretKey(_ key: String) -> Bool {
        let words = key.split(whereSeparator: { $0 == "." || $0 == "-" })
        return words.contains("password") || words.contains("secret") || key.contains("key-material")
    }
}

struct Setting<Value: Equatable & Sendable>: ServerSetting {
    let key: String
    let flag: String?
    let reloads: Bool
    let keyPath: WritableKeyPath<ServerSettings, Value> & Sendable
    let format: SettingFormat<Value>

    var type: ConfigType { format.type }
    var expected: String { format.expected }

    func apply(_ content: ConfigContent, to settings: inout ServerSettings) throws(InvalidSettingValue) {
        settings[keyPath: keyPath] = try format.decode(content)
    }

    func content(of settings: ServerSettings) -> ConfigContent {
        format.encode(settings[keyPath: keyPath])
    }
}

/// Which settings SIGHUP applies, and which wait for a restart.
enum Reload {
    case live
    case restart

    var applies: Bool { self == .live }
}

extension Setting {
    init(
        _ key: String,
        flag: String? = nil,
        _ reload: Reload,
        _ keyPath: WritableKeyPath<ServerSettings, Value> & Sendable,
        _ format: SettingFormat<Value>
    ) {
        self.init(key: key, flag: flag, reloads: reload.applies, keyPath: keyPath, format: format)
    }
}

extension ServerSettings {
    /// Every key, in the order of the example file and `--print-config`.
    static let all: [any ServerSetting] = [
        Setting("host", flag: "--host", .restart, \.server.host, .text()),
        Setting("port", flag: "--port", .restart, \.server.port, .port),
        Setting("allow-ephemeral-port", flag: "--allow-ephemeral-port", .restart, \.allowEphemeralPort, .flag),
        Setting("server-name", flag: "--server-name", .live, \.server.serverName, .text(token: true)),
        Setting("database", flag: "--db", .restart, \.server.databasePath, .text()),
        // Not `database.synchronous`: `database` is a value already, and a file key
        // cannot be both a value and a section.
        Setting("database-synchronous", .restart, \.server.databaseDurability, .synchronous),
        Setting("event-loop-threads", flag: "--event-loop-threads", .restart, \.server.eventLoopThreads, .integer(1...1024)),
        Setting("log-level", flag: "--log-level", .restart, \.logLevel, .logLevel),
        Setting("allow-symlinked-secrets", flag: "--allow-symlinked-secrets", .restart, \.server.allowSymlinkedSecrets, .flag),

        Setting("tls.certificate", flag: "--cert", .live, \.server.certificateChainPath, .text()),
        Setting("tls.private-key", flag: "--key", .live, \.server.privateKeyPath, .text()),
        Setting("tls.profile", flag: "--tls-profile", .live, \.server.tlsProfile, .tlsProfile),
        Setting("tls.handshake-timeout", flag: "--handshake-timeout", .live, \.server.handshakeTimeout, .seconds),
        Setting("tls.expiry-warning-days", .live, \.server.certificateExpiryWarningDays, .integer(0...36_500)),

        Setting("limits.max-line-length", flag: "--max-line-length", .live, \.server.maxLineLength, .integer(1...Int.max)),
        Setting("limits.max-outbound-queue-bytes", flag: "--max-outbound-queue-bytes", .live, \.server.maxOutboundQueueBytes, .integer(1...Int.max)),
        Setting("limits.lines-per-second", flag: "--lines-per-second", .live, \.server.linesPerSecond, .nonNegativeNumber),
        Setting("limits.line-burst", flag: "--line-burst", .live, \.server.lineBurst, .integer(1...Int.max)),
        Setting("limits.max-lines-before-login", .live, \.server.maxLinesBeforeLogin, .integer(1...Int.max)),
        Setting("limits.max-bytes-before-login", .live, \.server.maxBytesBeforeLogin, .integer(1...Int.max)),
        Setting("limits.max-connections", flag: "--max-connections", .live, \.server.maxConnections, .integer(1...Int.max)),
        Setting("limits.max-connections-per-ip", flag: "--max-connections-per-ip", .live, \.server.maxConnectionsPerIP, .integer(1...Int.max)),
        Setting("limits.max-rooms-per-account", flag: "--max-rooms-per-account", .restart, \.server.maxRoomsPerAccount, .integer(0...Int.max)),
        Setting("limits.max-rooms", flag: "--max-rooms", .restart, \.server.maxRooms, .integer(0...Int.max)),
        Setting("limits.max-names-per-line", .restart, \.server.maxNamesPerLine, .integer(1...Int.max)),

        Setting("timeouts.login-grace-period", flag: "--login-grace-period", .live, \.server.loginGracePeriod, .seconds),
        Setting("timeouts.idle", flag: "--idle-timeout", .live, \.server.idleTimeout, .seconds),
        Setting("timeouts.ping", flag: "--ping-timeout", .live, \.server.pingTimeout, .seconds),
        Setting("timeouts.shutdown-grace-period", .restart, \.server.shutdownGracePeriod, .seconds),

        Setting("logins.max-failures", flag: "--max-login-failures", .live, \.server.maxLoginFailures, .integer(1...Int.max)),
        Setting("logins.penalty-base", flag: "--login-penalty-ms", .live, \.server.loginPenaltyBase, .seconds),
        Setting("logins.penalty-max", flag: "--login-penalty-max", .live, \.server.loginPenaltyMax, .seconds),
        Setting("logins.penalty-decay", .live, \.server.loginPenaltyDecay, .seconds),

        Setting("accounts.check-interval", .restart, \.server.accountCheckInterval, .positiveSeconds),

        Setting("history.max-age", .live, \.server.retention.maxAge, .longPositiveSeconds),
        Setting("history.max-per-conversation", .live, \.server.retention.maxPerConversation, .integer(1...Int.max)),
        Setting("history.prune-interval", .restart, \.server.pruneInterval, .positiveSeconds),

        // A login hands over the whole queue at once, so it stays a few thousand lines.
        Setting("messages.offline-queue-limit", .live, \.server.offlineQueueLimit, .integer(0...10_000)),
        Setting("messages.store", .restart, \.server.storesMessages, .flag),

        Setting("hashing.cost", flag: "--password-cost", .restart, \.server.passwordCost, .passwordCost),
        Setting("hashing.threads", flag: "--hashing-threads", .restart, \.server.hashingThreads, .integer(1...1024)),
        Setting("hashing.max-queued-checks", flag: "--max-queued-password-checks", .restart, \.server.maxQueuedPasswordChecks, .integer(0...Int.max)),

        Setting("metrics.listen", flag: "--metrics-listen", .restart, \.server.metricsListen, .listenAddress),
    ]

    /// The key `--config` names a file with in the environment.
    static let configFileVariable = "SECURECHAT_CONFIG"
}
