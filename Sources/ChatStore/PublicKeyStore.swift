import ChatModel

/// Where accounts' public keys for end-to-end direct messages live: one X25519 public
/// key per account, never a secret key.
///
/// A key belongs to an account identity (`AccountID`), not to a name: it goes when the
/// account is deleted, and a name created again starts without one. The rules of
/// `AccountStore` on names, stale stamps and caching hold here too, and the same
/// conformance suite checks them.
public protocol PublicKeyStore: Sendable {
    /// The key published for the account called `name` (any case); nil when it has
    /// none or there is no such account.
    func publicKey(of name: UserName) async throws -> [UInt8]?

    /// Publishes, or replaces, the key of the account a session holds `stamp` for,
    /// only while `stamp` is current (see `AccountStore`). False, storing nothing,
    /// when it is stale: a session must not publish a key for an account that was
    /// locked, deleted, re-created or given a new password since it logged in.
    func setPublicKey(_ key: [UInt8], for stamp: CredentialStamp) async throws -> Bool
}
