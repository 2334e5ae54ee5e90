import ChatModel
import Foundation

/// One account as stored. Timestamps have millisecond precision (SQLite text).
public struct UserRecord: Sendable, Equatable {
    public let name: UserName
    /// The account's identity and current credential generation.
    public let credential: CredentialStamp
    /// An Argon2id string from `PasswordHasher`; never print or log it.
    public let passwordHash: String
    /// A locked account keeps its data but must be refused at login.
    public let isLocked: Bool
    public let createdAt: Date
    public let updatedAt: Date
    /// Nil until the first successful login.
    public let lastLoginAt: Date?
}
