/// User inbound events the TLS handler fires down the pipeline.
public enum TLSEvent: Sendable, Equatable {
    /// The handshake finished; application data may flow.
    case handshakeCompleted(TLSSessionInfo)
}

/// What was negotiated, for logs and for clients that pin certificates.
public struct TLSSessionInfo: Sendable, Equatable {
    public let protocolVersion: String
    public let cipher: String
    /// DER of the peer's leaf certificate (the server's, on a client connection).
    public let peerCertificateDER: [UInt8]?
    /// On client connections whose context applies a `ServerCertificatePolicy`: the
    /// server's certificate and what the chain check made of it, for this connection.
    public let serverCertificate: PresentedCertificate?
}
