internal import CSodium

/// Why a sealed direct message was not opened.
public enum DirectMessageBoxError: Error, Sendable, Equatable {
    /// Shorter than a nonce and an authentication tag: cut off in transit or made up.
    case truncated
    /// The tag does not verify: the bytes were changed, or were not sealed by the
    /// holder of the expected sender key for this recipient.
    case forged
}

/// End-to-end sealing of direct messages with `crypto_box_easy` (X25519 key
/// agreement, XSalsa20-Poly1305): `nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes)`.
///
/// The nonce is random: 192 bits make a repeat negligible without any state to keep
/// across devices or restarts. Opening authenticates the sender's key as well as
/// the bytes. Both directions of a pair share one key, so a message can be
/// reflected back to its sender; callers bind sender and recipient inside the
/// plaintext (see the client's envelope).
public enum DirectMessageBox {
    public static let nonceLength = 24
    public static let tagLength = 16

    public static func sealedLength(plaintextLength: Int) -> Int {
        nonceLength + tagLength + plaintextLength
    }

    public static func seal(_ plaintext: [UInt8], to recipient: BoxPublicKey, from sender: BoxKeyPair) -> [UInt8] {
        Sodium.ensureInitialised()
        var nonce = [UInt8](repeating: 0, count: nonceLength)
        randombytes_buf(&nonce, nonceLength)
        var ciphertext = [UInt8](repeating: 0, count: tagLength + plaintext.count)
        // An empty message still needs a valid pointer.
        let message = plaintext.isEmpty ? [0] : plaintext
        let status = sender.secretKey.withUnsafePointer { secret in
            crypto_box_easy(&ciphertext, message, UInt64(plaintext.count), nonce, recipient.bytes, secret)
        }
        precondition(status == 0, "crypto_box_easy cannot fail with valid lengths")
        return nonce + ciphertext
    }

    public static func open(
        _ sealed: [UInt8],
        from sender: BoxPublicKey,
        to recipient: BoxKeyPair
    ) throws(DirectMessageBoxError) -> [UInt8] {
        guard sealed.count >= nonceLength + tagLength else { throw .truncated }
        Sodium.ensureInitialised()
        let nonce = Array(sealed[..<nonceLength])
        let ciphertext = Array(sealed[nonceLength...])
        var plaintext = [UInt8](repeating: 0, count: max(1, ciphertext.count - tagLength))
        let status = recipient.secretKey.withUnsafePointer { secret in
            crypto_box_open_easy(&plaintext, ciphertext, UInt64(ciphertext.count), nonce, sender.bytes, secret)
        }
        guard status == 0 else { throw .forged }
        return Array(plaintext.prefix(ciphertext.count - tagLength))
    }
}
