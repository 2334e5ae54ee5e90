import ChatModel
import Foundation
internal import GRDB

/// The account statements, written once for the two ways into `SQLiteStore`: the
/// async `AccountStore` conformance the server uses and the blocking calls of
/// `chat-useradd`. Each runs inside the caller's transaction.
enum AccountSQL {
    /// Every login calls this, so it is kept cheap: a prepared statement reused per
    /// connection and columns read by position, not the query builder and `Codable`
    /// (together they were most of a minimum-cost login's database time).
    static func account(named name: UserName, in db: Database) throws -> UserRecord? {
        let statement = try db.cachedStatement(sql: UserRecordRow.selectByKey)
        return try UserRecordRow.fetchOne(statement, arguments: [name.key])?.record
    }

    static func account(id: AccountID, in db: Database) throws -> UserRecord? {
        let statement = try db.cachedStatement(sql: UserRecordRow.selectByID)
        return try UserRecordRow.fetchOne(statement, arguments: [id.rawValue])?.record
    }

    static func allAccounts(in db: Database) throws -> [UserRecord] {
        try UserRow.order(UserRow.Columns.nameKey).fetchAll(db).map(\.record)
    }

    /// A new account starts in the lobby, in the same transaction, so no process ever
    /// sees an account that is in no room.
    static func add(_ name: UserName, passwordHash: String, in db: Database) throws {
        let now = Date()
        let row = UserRow(
            id: nil, name: name.display, nameKey: name.key, passwordHash: passwordHash,
            locked: false, generation: 1, createdAt: now, updatedAt: now, lastLoginAt: nil
        )
        do {
            try row.insert(db)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.duplicateUser(name.display)
        }
        try RoomSQL.admit(AccountID(db.lastInsertedRowID), to: .lobby, at: now, in: db)
    }

    /// The `dm_key`, membership, invitation and offline rows go with it (foreign keys,
    /// on delete cascade); the `user_leaves_rooms` trigger hands its rooms on first.
    static func delete(_ name: UserName, in db: Database) throws -> Bool {
        try UserRow.filter(name: name).deleteAll(db) > 0
    }

    static func setLocked(_ locked: Bool, for name: UserName, in db: Database) throws -> Bool {
        try update(
            name,
            UserRow.Columns.generation.set(to: UserRow.Columns.generation + (UserRow.Columns.locked != locked)),
            UserRow.Columns.locked.set(to: locked),
            in: db
        )
    }

    static func resetPassword(of name: UserName, to hash: String, in db: Database) throws -> Bool {
        try update(
            name,
            UserRow.Columns.passwordHash.set(to: hash),
            UserRow.Columns.generation.set(to: UserRow.Columns.generation + 1),
            in: db
        )
    }

    static func changePassword(to hash: String, for stamp: CredentialStamp, in db: Database) throws -> CredentialStamp? {
        let generation = try Int64.fetchOne(
            db,
            sql: """
                UPDATE user SET password_hash = ?, generation = generation + 1, updated_at = ?
                WHERE id = ? AND generation = ? AND locked = 0
                RETURNING generation
                """,
            arguments: [hash, Date(), stamp.account.rawValue, stamp.generation]
        )
        return generation.map { CredentialStamp(account: stamp.account, generation: $0) }
    }

    static func upgradePasswordHash(_ hash: String, for stamp: CredentialStamp, loggedInAt date: Date, in db: Database) throws -> Bool {
        try db.execute(
            sql: """
                UPDATE user SET password_hash = ?, last_login_at = ?, updated_at = ?
                WHERE id = ? AND generation = ? AND locked = 0
                """,
            arguments: [hash, date, Date(), stamp.account.rawValue, stamp.generation]
        )
        return db.changesCount > 0
    }

    /// Not a change to the account, so `updated_at` stays.
    static func recordLogins(_ logins: [UserName: Date], in db: Database) throws {
        let statement = try db.cachedStatement(sql: "UPDATE user SET last_login_at = ? WHERE name_key = ?")
        for (name, date) in logins {
            try statement.execute(arguments: [date, name.key])
        }
    }

    private static func update(_ name: UserName, _ assignments: ColumnAssignment..., in db: Database) throws -> Bool {
        try UserRow.filter(name: name).updateAll(db, assignments + [UserRow.Columns.updatedAt.set(to: Date())]) > 0
    }
}
