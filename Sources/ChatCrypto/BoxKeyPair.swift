internal import CSodium

/// An X25519 key pair for end-to-end direct messages (`crypto_box_keypair`). The
/// secret half stays in guarded memory inside ChatCrypto and never leaves it
/// unencrypted: the only ways out are `DirectMessageBox` and `SecretKeyFile`.
public struct BoxKeyPair: Sendable {
    public let publicKey: BoxPublicKey
    let secretKey: SecretBytes

    static let secretKeyLength = 32

    /// A fresh random key pair.
    public static func generate() -> BoxKeyPair {
        var publicBytes = [UInt8](repeating: 0, count: BoxPublicKey.length)
        guard
            let secret = SecretBytes(
                count: secretKeyLength,
                fill: { out in
                    crypto_box_keypair(&publicBytes, out.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
                })
        else {
            fatalError("cannot generate an X25519 key pair")
        }
        return BoxKeyPair(publicKey: BoxPublicKey(bytes: publicBytes)!, secretKey: secret)
    }

    /// The pair for a stored secret key: the public half is recomputed from it.
    init?(secretKey: SecretBytes) {
        guard secretKey.count == Self.secretKeyLength else { return nil }
        var publicBytes = [UInt8](repeating: 0, count: BoxPublicKey.length)
        let status = secretKey.withUnsafePointer { crypto_scalarmult_base(&publicBytes, $0) }
        guard status == 0, let publicKey = BoxPublicKey(bytes: publicBytes) else { return nil }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    private init(publicKey: BoxPublicKey, secretKey: SecretBytes) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}
