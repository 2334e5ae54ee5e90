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
    var createdAt: Date
    var updatedAt: Date
    var lastLoginAt: Date?

    enum CodingKeys: String, CodingKey {
        case id
        case name
        case nameKey = "name_key"
        case passwordHash = "password_hash"
        case locked
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastLoginAt = "last_login_at"
    }

    enum Columns {
        static let nameKey = Column(CodingKeys.nameKey)
        static let passwordHash = Column(CodingKeys.passwordHash)
        static let locked = Column(CodingKeys.locked)
        static let updatedAt = Column(CodingKeys.updatedAt)
        static let lastLoginAt = Column(CodingKeys.lastLoginAt)
    }

    var record: UserRecord {
        UserRecord(
            name: UserName(storedDisplay: name, key: nameKey),
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
