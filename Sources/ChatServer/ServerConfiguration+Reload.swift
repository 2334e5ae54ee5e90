extension ServerConfiguration {
    /// This configuration with the settings that can change while the server runs
    /// taken from `new`; everything else stays as it is.
    ///
    /// Each value taken here is read when a connection starts (or, for the certificate,
    /// key and TLS profile, when the TLS context is rebuilt on reload; for the
    /// connection caps and login penalties, at each admission and each login; for the
    /// retention policy, at the next pruning pass; for the offline queue limit, at the
    /// next direct message to an offline account), so a change reaches new
    /// connections and open sessions keep what they started with.
    /// The rest is built into long-lived parts at start-up (the listener, event loops,
    /// hashing pool, database, hub, account watcher) and needs a restart.
    public func takingRuntimeChanges(from new: ServerConfiguration) -> ServerConfiguration {
        var next = self
        next.serverName = new.serverName
        next.certificateChainPath = new.certificateChainPath
        next.privateKeyPath = new.privateKeyPath
        next.tlsProfile = new.tlsProfile
        next.certificateExpiryWarningDays = new.certificateExpiryWarningDays
        next.handshakeTimeout = new.handshakeTimeout
        next.maxLineLength = new.maxLineLength
        next.maxOutboundQueueBytes = new.maxOutboundQueueBytes
        next.maxLoginFailures = new.maxLoginFailures
        next.loginGracePeriod = new.loginGracePeriod
        next.idleTimeout = new.idleTimeout
        next.pingTimeout = new.pingTimeout
        next.linesPerSecond = new.linesPerSecond
        next.lineBurst = new.lineBurst
        next.maxLinesBeforeLogin = new.maxLinesBeforeLogin
        next.maxBytesBeforeLogin = new.maxBytesBeforeLogin
        next.maxConnections = new.maxConnections
        next.maxConnectionsPerIP = new.maxConnectionsPerIP
        next.loginPenaltyBase = new.loginPenaltyBase
        next.loginPenaltyMax = new.loginPenaltyMax
        next.loginPenaltyDecay = new.loginPenaltyDecay
        // Read by the next pruning pass and the next offline DM.
        next.retention = new.retention
        next.offlineQueueLimit = new.offlineQueueLimit
        return next
    }
}
