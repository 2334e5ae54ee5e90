internal import COpenSSL

/// An OpenSSL `SSL_CTX`: certificates, keys, trust roots and protocol policy, built once
/// (off the event loops: it reads files) and then shared by every connection.
///
/// OpenSSL documents an `SSL_CTX` as safe to use from many threads for `SSL_new` once it
/// is configured; this type never changes it after `init`, hence `@unchecked Sendable`.
public final class TLSContext: @unchecked Sendable {
    public enum Role: Sendable {
        case server
        case client
    }

    let pointer: OpaquePointer
    public let role: Role
    public let profile: TLSProfile

    /// A server context from PEM files: `certificateChainPath` holds the leaf first, then
    /// any intermediates; `privateKeyPath` holds an ECDSA or RSA key for that leaf.
    public static func server(
        certificateChainPath: String,
        privateKeyPath: String,
        profile: TLSProfile = .intermediate
    ) throws -> TLSContext {
        let context = try TLSContext(role: .server, profile: profile)
        try context.call("loading certificate chain \(certificateChainPath)") {
            SSL_CTX_use_certificate_chain_file(context.pointer, certificateChainPath)
        }
        try context.call("loading private key \(privateKeyPath)") {
            SSL_CTX_use_PrivateKey_file(context.pointer, privateKeyPath, SSL_FILETYPE_PEM)
        }
        try context.call("checking that the private key matches the certificate") {
            SSL_CTX_check_private_key(context.pointer)
        }
        // Present the chain file as it is. Otherwise, for a file with no intermediates,
        // OpenSSL builds a chain from the context's trust store on every handshake (an
        // X509 verification per connection), and a server context has no trust store:
        // the result is the same leaf, for nothing.
        _ = securechat_SSL_CTX_set_mode(context.pointer, securechat_SSL_MODE_NO_AUTO_CHAIN())
        // Chat connections live for hours: resumption saves almost nothing, while
        // session tickets' long-lived keys would weaken forward secrecy. Every
        // handshake is a full one.
        _ = securechat_SSL_CTX_set_session_cache_mode(context.pointer, securechat_SSL_SESS_CACHE_OFF())
        _ = SSL_CTX_set_num_tickets(context.pointer, 0)
        _ = SSL_CTX_set_options(
            context.pointer,
            securechat_SSL_OP_NO_TICKET() | securechat_SSL_OP_CIPHER_SERVER_PREFERENCE()
        )
        return context
    }

    /// A client context that verifies the server's chain against the PEM CA bundle at
    /// `trustRootsPath` and the server's name (set per connection by `TLSHandler`).
    /// There is deliberately no switch to turn verification off.
    public static func client(trustRootsPath: String, profile: TLSProfile = .intermediate) throws -> TLSContext {
        let context = try TLSContext(role: .client, profile: profile)
        try context.call("loading trust roots \(trustRootsPath)") {
            SSL_CTX_load_verify_locations(context.pointer, trustRootsPath, nil)
        }
        SSL_CTX_set_verify(context.pointer, SSL_VERIFY_PEER, nil)
        return context
    }

    init(role: Role, profile: TLSProfile) throws {
        OpenSSLErrors.clear()
        let method = role == .server ? TLS_server_method() : TLS_client_method()
        guard let pointer = SSL_CTX_new(method) else {
            throw TLSError(.internalError, "SSL_CTX_new: \(OpenSSLErrors.drain())")
        }
        self.pointer = pointer
        self.role = role
        self.profile = profile
        try applyPolicy()
    }

    deinit {
        SSL_CTX_free(pointer)
    }

    private func applyPolicy() throws {
        let minimum = profile == .modern ? TLS1_3_VERSION : TLS1_2_VERSION
        try call("setting minimum protocol version") {
            securechat_SSL_CTX_set_min_proto_version(pointer, minimum)
        }
        try call("setting maximum protocol version") {
            securechat_SSL_CTX_set_max_proto_version(pointer, TLS1_3_VERSION)
        }
        try call("setting TLS 1.2 cipher list") {
            SSL_CTX_set_cipher_list(pointer, TLSProfile.tls12CipherList)
        }
        try call("setting TLS 1.3 cipher suites") {
            SSL_CTX_set_ciphersuites(pointer, TLSProfile.tls13CipherSuites)
        }
        try call("setting key exchange groups") {
            securechat_SSL_CTX_set1_groups_list(pointer, TLSProfile.groups)
        }
        // Compression invites CRIME-style attacks; renegotiation is a DoS lever and
        // OpenSSL 3 already refuses it from clients; say so explicitly anyway.
        _ = SSL_CTX_set_options(
            pointer,
            securechat_SSL_OP_NO_COMPRESSION() | securechat_SSL_OP_NO_RENEGOTIATION()
        )
        // Idle connections give their 16 KiB read/write buffers back to the allocator:
        // a chat server holds thousands of connections that are quiet most of the time.
        _ = securechat_SSL_CTX_set_mode(pointer, securechat_SSL_MODE_RELEASE_BUFFERS())
    }

    /// Runs an OpenSSL configuration call that returns 1 on success.
    private func call(_ what: String, _ body: () -> CInt) throws {
        OpenSSLErrors.clear()
        guard body() == 1 else {
            throw TLSError(.invalidConfiguration, "\(what): \(OpenSSLErrors.drain())")
        }
    }
}
