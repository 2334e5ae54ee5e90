internal import COpenSSL
import NIOCore

/// One OpenSSL `SSL` object and its two memory BIOs. The handler feeds network bytes
/// into `inbound` and drains TLS records out of `outbound`; OpenSSL never touches a
/// socket. Results are mapped to Swift enums right here, at the C boundary.
///
/// Not thread safe: owned by one `TLSHandler`, used on its event loop only.
final class TLSConnection {
    enum HandshakeResult {
        case complete
        case wantRead
        case failed(TLSError)
    }

    enum ReadResult {
        case data
        case wantRead
        case closeNotify
        case failed(TLSError)
    }

    /// The largest plaintext a single TLS record carries.
    static let maxRecordPlaintext = 16_384

    private let ssl: OpaquePointer
    private let inbound: OpaquePointer
    private let outbound: OpaquePointer
    /// Keeps the `SSL_CTX` alive as long as this `SSL` refers to it.
    private let context: TLSContext

    init(context: TLSContext, serverHostname: String?) throws {
        OpenSSLErrors.clear()
        guard let ssl = SSL_new(context.pointer) else {
            throw TLSError(.internalError, "SSL_new: \(OpenSSLErrors.drain())")
        }
        guard let inbound = BIO_new(BIO_s_mem()), let outbound = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError(.internalError, "BIO_new: \(OpenSSLErrors.drain())")
        }
        // An empty memory BIO must read as "retry later", not as end of file.
        _ = securechat_BIO_set_mem_eof_return(inbound, -1)
        SSL_set_bio(ssl, inbound, outbound)  // the SSL now owns both BIOs
        self.ssl = ssl
        self.inbound = inbound
        self.outbound = outbound
        self.context = context

        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            guard let serverHostname else {
                throw TLSError(.invalidConfiguration, "a client connection needs the server's name to verify")
            }
            try expectPeerName(serverHostname)
        }
    }

    deinit {
        SSL_free(ssl)
    }

    /// Makes certificate verification check `name`: an IP address against the
    /// certificate's IP SANs, a DNS name against its DNS SANs (and sends it as SNI).
    private func expectPeerName(_ name: String) throws {
        OpenSSLErrors.clear()
        let isIPAddress = name.contains(":") || name.allSatisfy { $0.isNumber || $0 == "." }
        let ok: CInt
        if isIPAddress {
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name)
        } else {
            ok = (securechat_SSL_set_tlsext_host_name(ssl, name) == 1 && SSL_set1_host(ssl, name) == 1) ? 1 : 0
        }
        guard ok == 1 else {
            throw TLSError(.invalidConfiguration, "cannot verify server name '\(name)': \(OpenSSLErrors.drain())")
        }
    }

    var isClient: Bool { context.role == .client }

    // MARK: Network side

    /// Hands bytes received from the network to OpenSSL.
    func receiveFromNetwork(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            // A memory BIO grows as needed; a write fails only when allocation does.
            _ = BIO_write(inbound, base, CInt(bytes.count))
        }
    }

    /// Takes every TLS record OpenSSL has produced, or nil if there are none.
    func takeNetworkOutput(allocator: ByteBufferAllocator) -> ByteBuffer? {
        let pending = BIO_ctrl_pending(outbound)
        guard pending > 0 else { return nil }
        var buffer = allocator.buffer(capacity: Int(pending))
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Int(pending)) { space in
            Int(max(0, BIO_read(outbound, space.baseAddress, CInt(pending))))
        }
        return buffer
    }

    // MARK: Protocol

    func doHandshake() -> HandshakeResult {
        OpenSSLErrors.clear()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 { return .complete }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .wantRead
        default:
            return .failed(TLSError(.handshakeFailed, failureDiagnostics()))
        }
    }

    /// Decrypts one chunk of application data into `buffer`.
    func read(into buffer: inout ByteBuffer) -> ReadResult {
        OpenSSLErrors.clear()
        var rc: CInt = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.maxRecordPlaintext) { space in
            rc = SSL_read(ssl, space.baseAddress, CInt(min(space.count, Int(CInt.max))))
            return rc > 0 ? Int(rc) : 0
        }
        if rc > 0 { return .data }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .wantRead
        case SSL_ERROR_ZERO_RETURN:
            return .closeNotify
        default:
            return .failed(TLSError(.protocolError, failureDiagnostics()))
        }
    }

    /// Encrypts `bytes` (at most one record's worth) into the outbound BIO.
    /// Returns false only if OpenSSL refused, which with memory BIOs means the
    /// connection is already broken.
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
        OpenSSLErrors.clear()
        return SSL_write(ssl, base, CInt(bytes.count)) == CInt(bytes.count)
    }

    /// Queues our close_notify alert.
    func shutdown() {
        OpenSSLErrors.clear()
        _ = SSL_shutdown(ssl)
        OpenSSLErrors.clear()
    }

    // MARK: Information

    var negotiatedProtocol: String {
        SSL_get_version(ssl).map { String(cString: $0) } ?? "unknown"
    }

    var negotiatedCipher: String {
        SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)).map { String(cString: $0) } ?? "unknown"
    }

    /// DER bytes of the peer's leaf certificate, if it sent one.
    var peerCertificateDER: [UInt8]? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509(certificate, &output)
        guard length > 0, let output else { return nil }
        defer { securechat_OPENSSL_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(length)))
    }

    private func failureDiagnostics() -> String {
        var parts: [String] = []
        let queued = OpenSSLErrors.drain()
        if !queued.isEmpty { parts.append(queued) }
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK, let reason = X509_verify_cert_error_string(verify) {
            parts.append("certificate verification: \(String(cString: reason))")
        }
        return parts.isEmpty ? "connection closed by peer or malformed input" : parts.joined(separator: "; ")
    }
}
