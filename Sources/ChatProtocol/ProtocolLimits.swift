/// The protocol's fixed sizes, defined once for the server that enforces them and
/// the client that must stay within them.
///
/// ChatProtocol does not import ChatCrypto, so the two sizes that come from
/// libsodium's `crypto_box` are written here as numbers; a test that sees both
/// modules checks that they agree with ChatCrypto's.
public enum ProtocolLimits {
    /// The longest line a server accepts by default, in bytes without its
    /// terminator: large enough for any chat line a person types, small enough that
    /// one client cannot make the server hold much memory. An operator may change
    /// it, so a client must not rely on it.
    public static let defaultMaxLineLength = 4096

    /// Base64 characters in an `/emsg` payload: room for ~2 KiB of text once the
    /// 24-byte nonce and 16-byte tag are counted, and well inside one line.
    public static let maxEncryptedPayloadLength = 3072

    /// The fewest bytes an `/emsg` payload decodes to: `crypto_box`'s 24-byte nonce,
    /// its 16-byte tag and at least one byte of text. Anything shorter cannot be a
    /// sealed message, so the server refuses to relay it.
    public static let minEncryptedPayloadBytes = 24 + 16 + 1

    /// Bytes in a public key for `/key set` (an X25519 key, as `crypto_box` uses).
    public static let publicKeyLength = 32

    /// Bytes (UTF-8) in a room topic: a sentence or two, as IRC networks allow
    /// (300-390), and small enough to send after every `OK join`.
    public static let maxTopicLength = 300
}
