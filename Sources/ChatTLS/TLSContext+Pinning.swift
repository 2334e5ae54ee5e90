internal import COpenSSL

/// How a client decides whether the server's certificate is the right one.
public enum ServerCertificatePolicy: Sendable, Equatable {
    /// The chain must verify against the trust roots and carry the server's name:
    /// exactly what `TLSContext.client(trustRootsPath:)` checks.
    case certificateAuthority
    /// The leaf certificate's SHA-256 must be `sha256`; anything else fails the
    /// handshake. Chain and name are still checked and reported, but do not decide:
    /// the pin is the stronger statement (it names one certificate, not any the CA
    /// might issue), and it is what makes a self-signed server usable.
    case pinned(sha256: [UInt8])
    /// Any certificate completes the handshake, and the chain verdict is reported.
    /// Only for the first connection of an explicit trust-on-first-use: the caller
    /// must pin the connection's `serverCertificate` before it trusts anything the
    /// server says.
    case acceptAnyForFirstUse
}

/// The certificate a server presented, and what the chain check made of it.
public struct PresentedCertificate: Sendable, Equatable {
    /// DER of the leaf.
    public let der: [UInt8]
    /// SHA-256 of `der`, the value pins hold.
    public let sha256: [UInt8]
    /// Why the chain or name did not verify (OpenSSL's words), or nil if they did.
    public let chainProblem: String?
    /// SHA-256 of the leaf's SubjectPublicKeyInfo (DER), the HPKP-style "SPKI
    /// fingerprint": unlike `sha256` it stays the same across a renewal that keeps
    /// the key, so a client can tell the server apart from its name and port.
    public let publicKeySHA256: [UInt8]?

    public var chainVerified: Bool { chainProblem == nil }
}

extension TLSContext {
    /// A client context that applies `policy` inside the handshake (OpenSSL's
    /// certificate verification callback). Each connection reports the certificate
    /// the server presented, and what the chain check made of it, as its own
    /// `serverCertificate`: in `TLSSessionInfo` when the handshake completes, in the
    /// `TLSError` when it fails, so the caller can show what was refused. One context
    /// can serve any number of connections, at once or in turn.
    ///
    /// - Parameters:
    ///   - trustRootsPath: a PEM CA bundle, or nil for the system's default roots.
    public static func client(
        trustRootsPath: String?,
        policy: ServerCertificatePolicy,
        profile: TLSProfile = .intermediate
    ) throws -> TLSContext {
        let context = try TLSContext(role: .client, profile: profile)
        OpenSSLErrors.clear()
        let loaded: CInt
        if let trustRootsPath {
            loaded = SSL_CTX_load_verify_locations(context.pointer, trustRootsPath, nil)
        } else {
            loaded = SSL_CTX_set_default_verify_paths(context.pointer)
        }
        guard loaded == 1 else {
            throw TLSError(
                .invalidConfiguration,
                "loading trust roots \(trustRootsPath ?? "(system default)"): \(OpenSSLErrors.drain())"
            )
        }
        // VERIFY_PEER makes a callback's "no" fail the handshake with an alert.
        SSL_CTX_set_verify(context.pointer, SSL_VERIFY_PEER, nil)

        let verifier = ServerCertificateVerifier(policy: policy)
        // One reference, owned by the SSL_CTX: released by the ex-data free callback
        // when the context is freed, so the C callback's argument never dangles.
        let argument = Unmanaged.passRetained(verifier).toOpaque()
        guard let index = ServerCertificateVerifier.exDataIndex,
            SSL_CTX_set_ex_data(context.pointer, index, argument) == 1
        else {
            Unmanaged<ServerCertificateVerifier>.fromOpaque(argument).release()
            throw TLSError(.internalError, "cannot attach the certificate verifier: \(OpenSSLErrors.drain())")
        }
        SSL_CTX_set_cert_verify_callback(context.pointer, serverCertificateVerifyCallback, argument)
        return context
    }
}

/// OpenSSL calls this instead of its own chain check (`X509_verify_cert`), on the
/// connection's event loop, once the server's Certificate message has arrived.
/// Returning 0 aborts the handshake before any application data.
private let serverCertificateVerifyCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> CInt = {
    storeContext, argument in
    guard let storeContext, let argument else { return 0 }
    let verifier = Unmanaged<ServerCertificateVerifier>.fromOpaque(argument).takeUnretainedValue()
    return verifier.verify(storeContext) ? 1 : 0
}

/// Applies a `ServerCertificatePolicy`. Shared by every connection of its context, so
/// it keeps nothing of any one handshake: what it saw goes to the connection's
/// `TLSConnection`.
final class ServerCertificateVerifier: Sendable {
    let policy: ServerCertificatePolicy

    init(policy: ServerCertificatePolicy) {
        self.policy = policy
    }

    /// The SSL_CTX ex-data slot holding the verifier, allocated once per process;
    /// its free callback drops the context's reference.
    static let exDataIndex: CInt? = {
        let index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, nil, nil, nil) { _, pointer, _, _, _, _ in
            guard let pointer else { return }
            Unmanaged<ServerCertificateVerifier>.fromOpaque(pointer).release()
        }
        return index >= 0 ? index : nil
    }()

    func verify(_ storeContext: OpaquePointer) -> Bool {
        // The standard check first, with the name the connection asked for: it runs
        // for every policy so the verdict can be reported.
        let chainOK = X509_verify_cert(storeContext) == 1
        let chainProblem: String? = chainOK ? nil : Self.describe(X509_STORE_CTX_get_error(storeContext))
        guard let leaf = X509_STORE_CTX_get0_cert(storeContext), let der = Self.der(of: leaf) else {
            return false
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard X509_digest(leaf, EVP_sha256(), &digest, &length) == 1, length == 32 else {
            return false
        }
        TLSConnection.owning(storeContext)?.serverCertificate = PresentedCertificate(
            der: der,
            sha256: digest,
            chainProblem: chainProblem,
            publicKeySHA256: Self.publicKeyDigest(of: leaf)
        )

        switch policy {
        case .certificateAuthority:
            return chainOK
        case .pinned(let pin):
            guard digest == pin else {
                X509_STORE_CTX_set_error(storeContext, X509_V_ERR_APPLICATION_VERIFICATION)
                return false
            }
            X509_STORE_CTX_set_error(storeContext, X509_V_OK)
            return true
        case .acceptAnyForFirstUse:
            X509_STORE_CTX_set_error(storeContext, X509_V_OK)
            return true
        }
    }

    private static func describe(_ error: CInt) -> String {
        guard let text = X509_verify_cert_error_string(Int(error)) else { return "verification error \(error)" }
        return String(cString: text)
    }

    private static func publicKeyDigest(of certificate: OpaquePointer) -> [UInt8]? {
        guard let key = X509_get0_pubkey(certificate) else { return nil }
        var output: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(key, &output)
        guard length > 0, let output else { return nil }
        defer { securechat_OPENSSL_free(output) }
        var digest = [UInt8](repeating: 0, count: 32)
        var digestLength: UInt32 = 0
        guard EVP_Digest(output, Int(length), &digest, &digestLength, EVP_sha256(), nil) == 1, digestLength == 32 else {
            return nil
        }
        return digest
    }

    private static func der(of certificate: OpaquePointer) -> [UInt8]? {
        var output: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509(certificate, &output)
        guard length > 0, let output else { return nil }
        defer { securechat_OPENSSL_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(length)))
    }
}
