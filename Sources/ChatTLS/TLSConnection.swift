internal import COpenSSL
import NIOCore

/// One OpenSSL `SSL` object over a BIO of our own (`TLSConnectionBIO`): OpenSSL reads
/// ciphertext straight out of the `ByteBuffer` the channel received and appends the
/// records it produces to a `ByteBuffer` the handler then sends as is. Unlike a pair of
/// memory BIOs, whose buffers keep their largest size for the life of the connection,
/// an idle connection holds no ciphertext storage at all. Results are mapped to Swift
/// enums right here, at the C boundary.
///
/// Not thread safe: owned by one `TLSHandler`, used on its event loop only.
final class TLSConnection {
    enum HandshakeResult {
        case complete
        case wantRead
        case failed(TLSError)
    }

    enum ReadResult {
        case data(ByteBuffer)
        case wantRead
        case closeNotify
        case failed(TLSError)
    }

    enum WriteResult {
        case written
        case failed(TLSError)
    }

    /// The largest plaintext a single TLS record carries.
    static let maxRecordPlaintext = 16_384
    /// Header, explicit nonce (TLS 1.2 GCM) or content type (TLS 1.3), and AEAD tag:
    /// the most any of our suites adds to a record.
    static let maxRecordOverhead = 29

    private let ssl: OpaquePointer
    private let bio: OpaquePointer
    /// Keeps the `SSL_CTX` alive as long as this `SSL` refers to it.
    private let context: TLSContext
    /// The channel's allocator, once the handler is added.
    var allocator = ByteBufferAllocator()

    /// Received ciphertext OpenSSL has not asked for yet, a slice of what the channel
    /// read. Normally empty between events: OpenSSL consumes whole records as they come.
    private var inbound: ByteBuffer?
    /// Records produced since the handler last took them.
    private var outbound: ByteBuffer?
    /// Ciphertext OpenSSL has read but not yet turned into application data: a partial
    /// record, or (an over-estimate, harmlessly) handshake records since the last data.
    private var ciphertextInsideOpenSSL = 0
    /// What the server presented and what the chain check made of it: set during the
    /// handshake, on client connections whose context applies a
    /// `ServerCertificatePolicy`. Here, not on the shared context, so concurrent
    /// connections never see each other's verdict.
    var serverCertificate: PresentedCertificate?
    /// OpenSSL's words for the first failure. It queues a reason only for the call
    /// that hit the problem (a bad record, a fatal alert): later calls on the broken
    /// `SSL`, an `SSL_write` above all, fail with an empty queue and repeat this.
    private var firstFailure: String?

    /// The server end of a connection: it waits for the ClientHello.
    convenience init(serverContext context: TLSContext) throws {
        guard context.role == .server else {
            throw TLSError(.invalidConfiguration, "TLSHandler.server needs a context made by TLSContext.server")
        }
        try self.init(context: context)
        SSL_set_accept_state(ssl)
    }

    /// The client end of a connection to the server called `serverName`.
    convenience init(clientContext context: TLSContext, serverName: String) throws {
        guard context.role == .client else {
            throw TLSError(.invalidConfiguration, "TLSHandler.client needs a context made by TLSContext.client")
        }
        try self.init(context: context)
        SSL_set_connect_state(ssl)
        try expectPeerName(serverName)
        // Unretained, like the BIO's pointer: the SSL never outlives self. Only clients
        // need it (for the certificate verifier), so servers skip the allocation.
        OpenSSLErrors.clear()
        guard let index = Self.exDataIndex,
            SSL_set_ex_data(ssl, index, Unmanaged.passUnretained(self).toOpaque()) == 1
        else {
            throw TLSError(.internalError, "cannot attach the connection to its SSL: \(OpenSSLErrors.drain())")
        }
    }

    private init(context: TLSContext) throws {
        OpenSSLErrors.clear()
        guard let ssl = SSL_new(context.pointer) else {
            throw TLSError(.internalError, "SSL_new: \(OpenSSLErrors.drain())")
        }
        guard let bio = BIO_new(TLSConnectionBIO.method) else {
            SSL_free(ssl)
            throw TLSError(.internalError, "BIO_new: \(OpenSSLErrors.drain())")
        }
        self.ssl = ssl
        self.bio = bio
        self.context = context
        // Unretained: the SSL (which owns the BIO) lives exactly as long as self, and
        // deinit detaches the BIO before freeing it.
        BIO_set_data(bio, Unmanaged.passUnretained(self).toOpaque())
        SSL_set_bio(ssl, bio, bio)  // one BIO both ways; the SSL now owns it
    }

    deinit {
        BIO_set_data(bio, nil)
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

    /// The SSL ex-data slot leading from an `SSL` back to its client connection, for
    /// callbacks OpenSSL makes on the shared context with only the `SSL` at hand.
    /// Allocated once per process.
    private static let exDataIndex: CInt? = {
        let index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, nil, nil, nil, nil)
        return index >= 0 ? index : nil
    }()

    /// The client connection whose certificate check `storeContext` is, if any.
    static func owning(_ storeContext: OpaquePointer) -> TLSConnection? {
        guard let index = exDataIndex,
            let ssl = X509_STORE_CTX_get_ex_data(storeContext, SSL_get_ex_data_X509_STORE_CTX_idx()),
            let connection = SSL_get_ex_data(OpaquePointer(ssl), index)
        else { return nil }
        return Unmanaged<TLSConnection>.fromOpaque(connection).takeUnretainedValue()
    }

    // MARK: Network side

    /// Hands bytes received from the network to OpenSSL, which reads them on the next
    /// handshake or read call.
    func receiveFromNetwork(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        if var unread = inbound {
            // Only when OpenSSL left bytes unread (we stopped reading mid-burst): rare,
            // and the copy stops us pinning the receive buffer the remainder came from.
            var buffer = buffer
            inbound = nil
            unread.writeBuffer(&buffer)
            inbound = unread
        } else {
            inbound = buffer
        }
    }

    /// Drops received ciphertext nobody will read: it may pin a whole receive buffer.
    func discardNetworkInput() {
        inbound = nil
    }

    /// Makes room for the records `plaintextBytes` will become, so that a flush of
    /// several records fills one buffer instead of regrowing it record by record: the
    /// loop's shared buffer if one is kept in `shared`, else a new one.
    func reserveNetworkOutput(forPlaintext plaintextBytes: Int, from shared: TLSWriteBuffers?) {
        guard plaintextBytes > 0 else { return }
        let records = (plaintextBytes + Self.maxRecordPlaintext - 1) / Self.maxRecordPlaintext
        let capacity = plaintextBytes + records * Self.maxRecordOverhead
        if outbound == nil {
            outbound = shared?.takeRecordBuffer(capacity: capacity) ?? allocator.buffer(capacity: capacity)
        } else {
            outbound!.reserveCapacity(minimumWritableBytes: capacity)
        }
    }

    /// Takes every TLS record OpenSSL has produced, or nil if there are none. The
    /// caller gets the only reference, so sending it copies nothing.
    func takeNetworkOutput() -> ByteBuffer? {
        guard let records = outbound else { return nil }
        outbound = nil
        return records.readableBytes > 0 ? records : nil
    }

    var heldBufferCapacity: Int { (inbound?.capacity ?? 0) + (outbound?.capacity ?? 0) }

    // MARK: BIO side, called by `TLSConnectionBIO` from inside OpenSSL

    /// OpenSSL asks for ciphertext.
    func bioRead(into space: UnsafeMutableRawBufferPointer) -> Int? {
        guard inbound != nil else { return nil }
        let count = min(space.count, inbound!.readableBytes)
        inbound!.readWithUnsafeReadableBytes { bytes in
            space.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(count)))
            return count
        }
        if inbound!.readableBytes == 0 {
            inbound = nil
        }
        ciphertextInsideOpenSSL += count
        return count
    }

    /// OpenSSL hands us a record (or part of one) to send.
    func bioWrite(_ bytes: UnsafeRawBufferPointer) {
        if outbound == nil {
            outbound = allocator.buffer(capacity: bytes.count)
        }
        outbound!.writeBytes(bytes)
    }

    var pendingInbound: Int { inbound?.readableBytes ?? 0 }
    var pendingOutbound: Int { outbound?.readableBytes ?? 0 }

    // MARK: Protocol

    func doHandshake() -> HandshakeResult {
        OpenSSLErrors.clear()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            ciphertextInsideOpenSSL = 0
            return .complete
        }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .wantRead
        default:
            return .failed(TLSError(.handshakeFailed, failureDiagnostics(), serverCertificate: serverCertificate))
        }
    }

    /// Decrypts the next chunk of application data.
    func read() -> ReadResult {
        // Plaintext is never longer than the ciphertext it came from, so the buffer is
        // sized by what could be decrypted now, not by the largest possible record: a
        // chat line costs a few hundred bytes, not 16 KiB.
        let decryptable = Int(SSL_pending(ssl)) + ciphertextInsideOpenSSL + pendingInbound
        guard decryptable > 0 else { return .wantRead }
        var buffer = allocator.buffer(capacity: min(decryptable, Self.maxRecordPlaintext))
        OpenSSLErrors.clear()
        var rc: CInt = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
            rc = SSL_read(ssl, space.baseAddress, CInt(min(space.count, Self.maxRecordPlaintext)))
            return rc > 0 ? Int(rc) : 0
        }
        if rc > 0 {
            // With read-ahead off OpenSSL stops reading at the end of the record it
            // returns, so everything it read so far has been processed.
            ciphertextInsideOpenSSL = 0
            return .data(buffer)
        }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .wantRead
        case SSL_ERROR_ZERO_RETURN:
            return .closeNotify
        default:
            return .failed(TLSError(.protocolError, failureDiagnostics()))
        }
    }

    /// Encrypts `bytes` (at most one record's worth) into the outbound buffer. Our
    /// BIO takes every write, so a failure means the connection is already broken
    /// (a fatal alert sent or received); the error says what OpenSSL made of it.
    func write(_ bytes: UnsafeRawBufferPointer) -> WriteResult {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .written }
        OpenSSLErrors.clear()
        // Without SSL_MODE_ENABLE_PARTIAL_WRITE, OpenSSL writes all or nothing.
        let rc = SSL_write(ssl, base, CInt(bytes.count))
        if rc == CInt(bytes.count) {
            return .written
        }
        return .failed(TLSError(.protocolError, "SSL_write: \(failureDiagnostics())"))
    }

    /// Queues our close_notify alert.
    func shutdown() {
        OpenSSLErrors.clear()
        _ = SSL_shutdown(ssl)
        // Writing the alert (and reading the peer's) left OpenSSL's 16 KiB record
        // buffers allocated, which SSL_MODE_RELEASE_BUFFERS does not free on this path:
        // 33 KiB per connection lingering for the close timeout, times every session
        // when the server shuts down. Our BIO has already taken the alert, so nothing
        // is pending and both can go.
        _ = SSL_free_buffers(ssl)
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

    /// Drains OpenSSL's error queue (and the certificate verdict) into one line.
    private func failureDiagnostics() -> String {
        var parts: [String] = []
        let queued = OpenSSLErrors.drain()
        if !queued.isEmpty { parts.append(queued) }
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK, let reason = X509_verify_cert_error_string(verify) {
            parts.append("certificate verification: \(String(cString: reason))")
        }
        guard !parts.isEmpty else {
            return firstFailure.map { "after an earlier failure: \($0)" }
                ?? "connection closed by peer or malformed input"
        }
        let diagnostics = parts.joined(separator: "; ")
        if firstFailure == nil {
            firstFailure = diagnostics
        }
        return diagnostics
    }
}
