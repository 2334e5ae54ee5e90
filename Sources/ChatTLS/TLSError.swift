/// A TLS failure: a kind the program can switch on, plus private diagnostics (OpenSSL's
/// error strings, the verify result) that belong in the server log and never on the wire.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A certificate, key or CA file could not be loaded, or key and certificate differ.
        case invalidConfiguration = "invalid-configuration"
        /// The peer's handshake failed: not TLS at all, no shared cipher, bad certificate…
        case handshakeFailed = "handshake-failed"
        /// The peer did not finish its handshake before the deadline.
        case handshakeTimeout = "handshake-timeout"
        /// A record failed to decrypt or parse after the handshake.
        case protocolError = "protocol-error"
        /// The TCP connection ended without the peer's close_notify. Happens on every
        /// ordinary client crash or network drop; not an attack on its own.
        case uncleanShutdown = "unclean-shutdown"
        /// OpenSSL could not allocate an object.
        case internalError = "internal-error"
    }

    public let kind: Kind
    /// Diagnostics for the log only.
    public let diagnostics: String
    /// When a client's handshake failed after the server's certificate arrived (most
    /// often because the client refused it): that certificate and the chain verdict,
    /// for contexts that apply a `ServerCertificatePolicy`.
    public let serverCertificate: PresentedCertificate?

    init(_ kind: Kind, _ diagnostics: String = "", serverCertificate: PresentedCertificate? = nil) {
        self.kind = kind
        self.diagnostics = diagnostics
        self.serverCertificate = serverCertificate
    }

    public var description: String {
        diagnostics.isEmpty ? kind.rawValue : "\(kind.rawValue): \(diagnostics)"
    }
}
