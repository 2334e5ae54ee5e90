/// Why `PasswordHasher.hash(_:)` could not produce a hash.
public enum PasswordHashError: Error, Sendable {
    /// Argon2id could not allocate its working memory (`memLimit` bytes). Retrying
    /// later, with fewer hashes running at once, can succeed.
    case outOfMemory
    /// libsodium refused the password itself (longer than `crypto_pwhash_passwd_max()`).
    case invalidPassword
}
