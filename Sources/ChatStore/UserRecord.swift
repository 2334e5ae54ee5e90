import ChatModel
import Foundation

/// One account as stored. Timestamps have millisecond precision or better.
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

    /// Public so that a store in another module can hand records out.
    public init(
        name: UserName,
        credential: CredentialStamp,
        passwordHash: String,
        isLocked: Bool,
        createdAt: Date,
        updatedAt: Date,
        lastLoginAt: Date?
    ) {
        self.name = name
        self.credential = credential
        self.passwordHash = passwordHash
        self.isLocked = isLocked
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.lastLoginAt = lastLoginAt
    }

    /// The account's status as the change feed would report it now.
    public var status: AccountStatus {
        isLocked ? .locked(generation: credential.generation) : .active(generation: credential.generation)
    }
}
