import ChatTLS
import Logging

/// The certificate and key: loaded (and checked) at start, reloaded on SIGHUP.
extension ChatServer {
    /// Loads the certificate and key again for new connections; sessions already
    /// open keep theirs. A broken or mismatched pair is refused with a log line and
    /// the old one stays in use. Returns whether the new pair was taken.
    @discardableResult
    public func reloadCertificates() -> Bool {
        do {
            let context = try Self.loadTLSContext(configuration, logger: logger)
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
    static func loadTLSContext(_ configuration: ServerConfiguration, logger: Logger) throws -> TLSContext {
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
