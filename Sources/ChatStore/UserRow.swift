import ChatModel
import Foundation
internal import GRDB

/// The `user` table's row, kept internal so GRDB stays out of the public API.
struct UserRow: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "user"

    var id: Int64?
    var name: String
    var nameKey: String
    var passwordHash: String
    var locked: Bool
    var generation: Int64
    var createdAt: Date
    var updatedAt: Date
    var lastLoginAt: Date?

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case nameKey = "name_key"
        case passwordHash = "password_hash"
        case locked
        case generation
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastLoginAt = "last_login_at"
    }

    enum Columns {
        static let nameKey = Column(CodingKeys.nameKey)
        static let passwordHash = Column(CodingKeys.passwordHash)
        static let locked = Column(CodingKeys.locked)
        static let generation = Column(CodingKeys.generation)
        static let updatedAt = Column(CodingKeys.updatedAt)
        static let lastLoginAt = Column(CodingKeys.lastLoginAt)
    }

    var record: UserRecord {
        UserRecord(
            name: UserName(storedDisplay: name, key: nameKey),
            credential: CredentialStamp(account: AccountID(id ?? 0), generation: generation),
            passwordHash: passwordHash,
            isLocked: locked,
            createdAt: createdAt,
            updatedAt: updatedAt,
            lastLoginAt: lastLoginAt
        )
    }

    static func filter(name: UserName) -> QueryInterfaceRequest<UserRow> {
        filter(Columns.nameKey == name.key)
    }
}

/// A row of `UserRecordRow.selectByKey`, read by position: the per-login look-up skips
/// the query builder and `Codable`, which were most of its CPU time.
struct UserRecordRow: FetchableRecord {
    /// The columns `init(row:)` reads, in its order; qualified, so that a query joining
    /// other tables (the login snapshot) can start with them too.
    static let columns = """
        user.name, user.name_key, user.password_hash, user.locked, user.created_at, user.updated_at, \
        user.last_login_at, user.id, user.generation
        """
    static let selectByKey = "SELECT \(columns) FROM user WHERE name_key = ?"
    static let selectByID = "SELECT \(columns) FROM user WHERE id = ?"

    let record: UserRecord

    /// Throws, as `Codable` decoding did, on a value of the wrong type rather than
    /// stopping the server.
    init(row: Row) throws {
        record = UserRecord(
            name: UserName(storedDisplay: try row.decode(atIndex: 0), key: try row.decode(atIndex: 1)),
            credential: CredentialStamp(
                account: AccountID(try row.decode(atIndex: 7)),
                generation: try row.decode(atIndex: 8)
            ),
            passwordHash: try row.decode(atIndex: 2),
            isLocked: try row.decode(atIndex: 3),
            createdAt: try row.decode(atIndex: 4),
            updatedAt: try row.decode(atIndex: 5),
            lastLoginAt: try row.decode(atIndex: 6)
        )
    }
}
