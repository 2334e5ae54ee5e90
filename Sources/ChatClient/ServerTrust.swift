import ChatCrypto
import ChatTLS
import Foundation
import NIOCore
import NIOPosix

/// Connects to the server and decides whether its certificate is the right one:
/// by CA and name (the default; the CAs of `--ca`, else of the config directory's
/// `ca.pem`, else the system's), by a pin in `known-servers` (made earlier with
/// `--trust-on-first-use`), or, the first time with `--trust-on-first-use`, by
/// pinning what it presents. A pinned server that presents another certificate the
/// CA vouches for (chain and name: a renewal) is accepted and the pin updated, with
/// one line saying so; only what neither the pin nor the CA vouches for is refused.
/// Every refusal is one line that says why, shows the certificate's fingerprint and
/// what to do.
public enum ServerTrust {
    public struct Connected: Sendable {
        public let connection: ChatConnection
        /// Set when this connection pinned the server's certificate (first use, or
        /// a renewal the CA vouches for): the line that says so.
        public let pinnedNow: String?
    }

    public static func connect(
        options: ClientOptions,
        config: ConfigDirectory,
        group: EventLoopGroup,
        onEvent: @escaping @Sendable (ChatConnection.Event) -> Void
    ) async throws(ClientFailure) -> Connected {
        let server = options.server
        let known = KnownServers(file: config.knownServers)
        let pin: [UInt8]?
        do {
            pin = try known.pin(for: server)
        } catch {
            throw ClientFailure("\(error)")
        }
        let policy: ServerCertificatePolicy
        if let pin {
            policy = .pinned(sha256: pin)
        } else if options.trustOnFirstUse {
            policy = .acceptAnyForFirstUse
        } else {
            policy = .certificateAuthority
        }
        let trustRoots = trustRootsPath(options: options, config: config)
        let context: TLSContext
        do {
            context = try TLSContext.client(trustRootsPath: trustRoots, policy: policy)
        } catch let error as TLSError {
            throw ClientFailure("cannot load the CA file \(trustRoots ?? "(system default)"): \(error.diagnostics)")
        } catch {
            throw ClientFailure("cannot make a TLS context: \(error)")
        }

        let connection: ChatConnection
        do {
            connection = try await ChatConnection.connect(
                host: options.host, port: options.port, context: context, group: group, onEvent: onEvent
            )
        } catch let error as TLSError {
            if case .pinned(let pin) = policy, let presented = error.serverCertificate, presented.sha256 != pin,
                presented.chainVerified
            {
                return try await renewPin(
                    from: pin, options: options, trustRoots: trustRoots, known: known, group: group, onEvent: onEvent)
            }
            throw refusal(error, presented: error.serverCertificate, policy: policy, server: server, known: known, trustRoots: trustRoots)
        } catch {
            throw ClientFailure("cannot connect to \(server): \(describe(error))", kind: .transient)
        }

        guard case .acceptAnyForFirstUse = policy else {
            return Connected(connection: connection, pinnedNow: nil)
        }
        // Pinned before a single byte (the password above all) is sent.
        guard let presented = connection.session.serverCertificate else {
            await connection.close()
            throw ClientFailure("the server presented no certificate to pin")
        }
        do {
            try known.add(presented.sha256, for: server)
        } catch {
            await connection.close()
            throw ClientFailure("cannot save the pin: \(error)")
        }
        let chain = presented.chainProblem.map { "not verified by a CA: \($0)" } ?? "also verified by the CA"
        return Connected(
            connection: connection,
            pinnedNow:
                "trusted \(server) on first use and pinned its certificate, SHA-256 \(SHA256.colonHex(presented.sha256)) (\(chain)), in \(known.file.path)"
        )
    }

    /// The pinned server presented another certificate, and its chain and name
    /// verified against the trust roots: a renewal. Connects again under the CA
    /// policy alone, so whatever this connection presents is CA-verified, and pins
    /// that, before a single byte is sent.
    private static func renewPin(
        from old: [UInt8],
        options: ClientOptions,
        trustRoots: String?,
        known: KnownServers,
        group: EventLoopGroup,
        onEvent: @escaping @Sendable (ChatConnection.Event) -> Void
    ) async throws(ClientFailure) -> Connected {
        let server = options.server
        let connection: ChatConnection
        do {
            let context = try TLSContext.client(trustRootsPath: trustRoots, policy: .certificateAuthority)
            connection = try await ChatConnection.connect(
                host: options.host, port: options.port, context: context, group: group, onEvent: onEvent
            )
        } catch let error as TLSError {
            throw refusal(
                error, presented: error.serverCertificate, policy: .pinned(sha256: old), server: server, known: known,
                trustRoots: trustRoots)
        } catch {
            throw ClientFailure("cannot connect to \(server): \(describe(error))", kind: .transient)
        }
        guard let presented = connection.session.serverCertificate, presented.chainVerified else {
            await connection.close()
            throw ClientFailure("the server presented no certificate the CA vouches for")
        }
        if presented.sha256 == old {
            return Connected(connection: connection, pinnedNow: nil)
        }
        do {
            try known.replace(with: presented.sha256, for: server)
        } catch {
            await connection.close()
            throw ClientFailure("cannot update the pin: \(error)")
        }
        return Connected(
            connection: connection,
            pinnedNow:
                "\(server) presented a new certificate (SHA-256 \(SHA256.colonHex(presented.sha256))) that \(authority(trustRoots)) \(trustRoots == nil ? "vouch" : "vouches") for; pin updated in \(known.file.path) (was SHA-256 \(SHA256.colonHex(old)))"
        )
    }

    /// Who vouched (or did not) by chain and name, for messages.
    private static func authority(_ trustRoots: String?) -> String {
        trustRoots.map { "the CA in \($0)" } ?? "the system's CAs"
    }

    private static func refusal(
        _ error: TLSError,
        presented: PresentedCertificate?,
        policy: ServerCertificatePolicy,
        server: ServerEndpoint,
        known: KnownServers,
        trustRoots: String?
    ) -> ClientFailure {
        guard let presented else {
            // Cut off or timed out before a certificate was shown: nothing was
            // refused, so a reconnecting client tries again.
            return ClientFailure(
                "TLS handshake with \(server) failed: \(error.diagnostics.isEmpty ? error.kind.rawValue : error.diagnostics)", kind: .transient)
        }
        let fingerprint = SHA256.colonHex(presented.sha256)
        switch policy {
        case .pinned(let pin) where pin != presented.sha256:
            let line = known.lineNumber(of: server).map { "line \($0) of " } ?? ""
            return ClientFailure(
                "REFUSED: the certificate of \(server) has CHANGED since it was pinned (pinned SHA-256 \(SHA256.colonHex(pin)), presented \(fingerprint)) and \(authority(trustRoots)) \(trustRoots == nil ? "do" : "does") not vouch for it (\(presented.chainProblem ?? "verification failed")). Someone may be intercepting the connection. Only if the server's operator confirms the new fingerprint, pass --ca with the CA that signed it, or remove \(line)\(known.file.path) and connect again with --trust-on-first-use"
            )
        case .certificateAuthority:
            return ClientFailure(
                "refusing \(server): its certificate is not trusted by \(authority(trustRoots)) (\(presented.chainProblem ?? "verification failed")). Its SHA-256 fingerprint is \(fingerprint). Check that fingerprint with the server's operator, then run again with --trust-on-first-use to pin it, or pass --ca with the CA that signed it"
            )
        default:
            return ClientFailure("TLS handshake with \(server) failed: \(error.diagnostics)")
        }
    }

    /// Never a file of the working directory: whoever can write there (a shared
    /// folder, a downloaded archive, a cloned repository) would choose whom the
    /// client trusts with the password. The config directory is the person's own.
    static func trustRootsPath(options: ClientOptions, config: ConfigDirectory) -> String? {
        if let path = options.trustRootsPath { return path }
        let own = config.certificateAuthorities.path
        return FileManager.default.fileExists(atPath: own) ? own : nil
    }

    static func describe(_ error: Error) -> String {
        if let connection = error as? NIOConnectionError, let first = connection.connectionErrors.first {
            return describe(first.error)
        }
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode))
        }
        return "\(error)".replacingOccurrences(of: "\n", with: " ")
    }
}
