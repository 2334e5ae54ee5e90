import Foundation
internal import GRDB

/// The account database: one SQLite file in WAL mode, shared by the running server
/// and `chat-useradd`.
///
/// Every method is one short transaction, and no account data is cached (prepared
/// statements are), so a change made by another process (a new user, a lock, a new
/// password) is seen by the next call: the server picks it up at the next login with
/// no restart or reload signal.
/// Calls block their thread on disk I/O; servers call them off their event loops.
public final class SQLiteStore: Sendable {
    let pool: DatabasePool

    /// Opens the database at `path`, creating the file and its parent directory if
    /// needed, and brings the schema up to date.
    ///
    /// - Throws: `StoreError.unusableDatabase` with a one-line reason.
    public init(path: String) throws {
        do {
            try DatabaseFile.prepare(path: path)
        } catch {
            throw StoreError.unusableDatabase(path: path, reason: error.reason)
        }

        do {
            pool = try Self.openPool(path: path)
        } catch {
            throw StoreError.unusableDatabase(path: path, reason: Self.reason(for: error))
        }
    }

    /// The account named `name`, compared case-insensitively.
    ///
    /// Every login calls this, so it is kept cheap: a prepared statement reused per
    /// connection and columns read by position, not the query builder and `Codable`
    /// (together they were most of a minimum-cost login's database time). One SELECT
    /// needs no explicit transaction: SQLite reads it from one snapshot.
    public func user(named name: UserName) throws -> UserRecord? {
        try pool.unsafeRead { db in
            let statement = try db.cachedStatement(sql: UserRecordRow.selectByKey)
            return try UserRecordRow.fetchOne(statement, arguments: [name.key])?.record
        }
    }

    /// The account with identity `id`, whatever it is called now.
    public func user(id: AccountID) throws -> UserRecord? {
        try pool.unsafeRead { db in
            let statement = try db.cachedStatement(sql: UserRecordRow.selectByID)
            return try UserRecordRow.fetchOne(statement, arguments: [id.rawValue])?.record
        }
    }

    /// Adds an unlocked account.
    ///
    /// - Throws: `StoreError.duplicateUser` when the name exists in any case.
    public func addUser(_ name: UserName, passwordHash: String) throws {
        let now = Date()
        let row = UserRow(
            id: nil, name: name.display, nameKey: name.key, passwordHash: passwordHash,
            locked: false, generation: 1, createdAt: now, updatedAt: now, lastLoginAt: nil
        )
        do {
            try pool.write { db in try row.insert(db) }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw StoreError.duplicateUser(name.display)
        }
    }

    /// Removes the account; false when there was none.
    @discardableResult
    public func deleteUser(_ name: UserName) throws -> Bool {
        try pool.write { db in
            try UserRow.filter(name: name).deleteAll(db) > 0
        }
    }

    /// Locks or unlocks the account; false when there is none. A change of state
    /// raises the credential generation, which ends the account's sessions.
    @discardableResult
    public func setLocked(_ locked: Bool, for name: UserName) throws -> Bool {
        try update(
            name,
            UserRow.Columns.generation.set(to: UserRow.Columns.generation + (UserRow.Columns.locked != locked)),
            UserRow.Columns.locked.set(to: locked)
        )
    }

    /// Replaces the account's password hash (an administrator's reset); false when
    /// there is none. Raises the credential generation, which ends every session.
    @discardableResult
    public func setPasswordHash(_ hash: String, for name: UserName) throws -> Bool {
        try update(
            name,
            UserRow.Columns.passwordHash.set(to: hash),
            UserRow.Columns.generation.set(to: UserRow.Columns.generation + 1)
        )
    }

    /// Replaces the password of the account a session holds `stamp` for, only while
    /// that stamp is current and the account unlocked: a session must not change the
    /// password of an account that was locked, deleted or reset behind its back.
    /// Returns the new stamp, or nil when `stamp` is stale.
    public func changePassword(to hash: String, for stamp: CredentialStamp) throws -> CredentialStamp? {
        try pool.write { db in
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
    }

    /// Replaces the password hash of an account that just logged in with its password,
    /// and notes the login, in one write; false when there is no such account.
    @discardableResult
    public func upgradePasswordHash(_ hash: String, for name: UserName, loggedInAt date: Date = Date()) throws -> Bool {
        try update(name, UserRow.Columns.passwordHash.set(to: hash), UserRow.Columns.lastLoginAt.set(to: date))
    }

    /// Notes a successful login. Not a change to the account, so `updatedAt` stays.
    /// Does nothing when the account was deleted meanwhile.
    public func recordLogin(_ name: UserName, at date: Date = Date()) throws {
        try recordLogins([name: date])
    }

    /// Notes many successful logins, each account with its own time, in one write
    /// transaction. Accounts deleted meanwhile are skipped, never recreated.
    public func recordLogins(_ logins: [UserName: Date]) throws {
        guard !logins.isEmpty else { return }
        try pool.write { db in
            let statement = try db.cachedStatement(sql: "UPDATE user SET last_login_at = ? WHERE name_key = ?")
            for (name, date) in logins {
                try statement.execute(arguments: [date, name.key])
            }
        }
    }

    /// Closes the database file. Later calls throw. Lets a stopped server release the
    /// file at once instead of whenever the last reference goes.
    public func close() throws {
        try pool.close()
    }

    /// Every account, ordered by lowercased name.
    public func allUsers() throws -> [UserRecord] {
        try pool.read { db in
            try UserRow.order(UserRow.Columns.nameKey).fetchAll(db).map(\.record)
        }
    }

    private func update(_ name: UserName, _ assignments: ColumnAssignment...) throws -> Bool {
        let now = Date()
        return try pool.write { db in
            try UserRow.filter(name: name)
                .updateAll(db, assignments + [UserRow.Columns.updatedAt.set(to: now)]) > 0
        }
    }
}
