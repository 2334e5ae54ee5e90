/// Which protocol versions and cipher suites a context accepts.
///
/// The default follows Mozilla's "intermediate" server profile (TLS 1.2 and 1.3, forward
/// secret AEAD suites only), which every client of the last decade speaks. `modern` is
/// TLS 1.3 only, for deployments that control their clients.
public enum TLSProfile: String, Sendable, CaseIterable {
    case intermediate
    case modern

    /// TLS 1.2 suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305, ECDSA
    /// before RSA. Nothing without forward secrecy, nothing CBC, nothing SHA-1.
    static let tls12CipherList = [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// TLS 1.3 suites, in Mozilla's order.
    static let tls13CipherSuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

    /// Key exchange groups: X25519 first (fast, misuse resistant), then the NIST curves.
    static let groups = "X25519:P-256:P-384"
}
