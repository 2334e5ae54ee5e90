import ChatTLS
import Logging

/// SIGHUP: the configuration file and the certificate and key it names, applied to
/// new connections; the certificate and key are also loaded and checked at start.
extension ChatServer {
    /// What SIGHUP does: with a configuration source, reads it and applies it
    /// (`reload(to:)`); without one, reloads the certificate and key. A source that
    /// throws (a broken file) is refused with one log line and nothing changes.
    /// Returns whether anything was applied.
    @discardableResult
    public func reload() async -> Bool {
        guard let configurationSource else {
            logger.info("SIGHUP: reloading certificate and key")
            return reloadCertificates()
        }
        logger.info("SIGHUP: reloading configuration")
        let new: ServerConfiguration
        do {
            new = try await configurationSource()
        } catch {
            logger.error("configuration reload refused, keeping the running one", metadata: ["reason": "\(error)"])
            return false
        }
        return reload(to: new)
    }

    /// Applies the settings of `new` that can change at run time
    /// (`ServerConfiguration.takingRuntimeChanges(from:)`), with the certificate and
    /// key they name, to new connections; open sessions keep theirs. If the
    /// certificate or key cannot be loaded the whole change is refused with one log
    /// line and the running configuration stays. Returns whether it was applied.
    @discardableResult
    public func reload(to new: ServerConfiguration) -> Bool {
        let next = runningConfiguration.takingRuntimeChanges(from: new)
        guard installTLSContext(for: next) else { return false }
        running.withLockedValue { $0 = next }
        connections.update(maxConnections: next.maxConnections, maxPerAddress: next.maxConnectionsPerIP)
        throttle.update(base: next.loginPenaltyBase, cap: next.loginPenaltyMax, decay: next.loginPenaltyDecay)
        conversations.offlineQueueLimit = next.offlineQueueLimit
        logger.info("configuration reloaded")
        return true
    }

    /// Loads the certificate and key again for new connections; sessions already
    /// open keep theirs. A broken or mismatched pair is refused with a log line and
    /// the old one stays in use. Returns whether the new pair was taken.
    @discardableResult
    public func reloadCertificates() -> Bool {
        installTLSContext(for: runningConfiguration)
    }

    /// The configuration in force now: the start-up one with the changes reloads
    /// applied.
    public var runningConfiguration: ServerConfiguration {
        running.withLockedValue { $0 }
    }

    func installTLSContext(for configuration: ServerConfiguration) -> Bool {
        do {
            let context = try Self.loadTLSContext(configuration, logger: logger, metrics: metrics)
            tlsContext.withLockedValue { $0 = context }
            logger.info("certificate reloaded", metadata: ["cert": "\(configuration.certificateChainPath)"])
            return true
        } catch {
            logger.error("certificate reload refused, keeping the current one", metadata: ["reason": "\(error)"])
            return false
        }
    }

    /// Refuses a key others can read, loads the pair (a mismatch fails here, before
    /// the port is opened), and warns about a certificate near or past expiry.
    static func loadTLSContext(_ configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics?) throws -> TLSContext {
        try SecretFile.check(
            configuration.privateKeyPath,
            what: "private key",
            allowSymlink: configuration.allowSymlinkedSecrets
        )
        let context: TLSContext
        do {
            context = try TLSContext.server(
                certificateChainPath: configuration.certificateChainPath,
                privateKeyPath: configuration.privateKeyPath,
                profile: configuration.tlsProfile
            )
        } catch let error as TLSError {
            throw StartupError("cannot load TLS certificate and key: \(error.diagnostics)")
        }
        metrics?.certificateExpires(inSeconds: context.secondsUntilCertificateExpiry)
        if let remaining = context.secondsUntilCertificateExpiry {
            let days = remaining / 86_400
            if remaining <= 0 {
                logger.critical("the TLS certificate has expired; clients will refuse it", metadata: ["cert": "\(configuration.certificateChainPath)"])
            } else if days < configuration.certificateExpiryWarningDays {
                logger.warning("the TLS certificate expires soon", metadata: ["daysLeft": "\(days)", "cert": "\(configuration.certificateChainPath)"])
            }
        }
        return context
    }

    var currentTLSContext: TLSContext {
        tlsContext.withLockedValue { $0 }
    }
}
