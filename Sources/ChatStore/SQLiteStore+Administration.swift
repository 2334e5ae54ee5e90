import ChatModel
import Foundation
internal import GRDB

/// Blocking calls for `chat-useradd` (a command-line tool with nothing else to do while
/// it waits) and for tests that play another process. A server uses the async
/// `AccountStore` and `PublicKeyStore` calls instead; these never run on its threads.
extension SQLiteStore {
    /// The account named `name`, compared case-insensitively.
    public func user(named name: UserName) throws -> UserRecord? {
        try pool.unsafeRead { db in try AccountSQL.account(named: name, in: db) }
    }

    /// Every account, ordered by lowercased name.
    public func allUsers() throws -> [UserRecord] {
        try pool.read { db in try AccountSQL.allAccounts(in: db) }
    }

    /// Adds an unlocked account, a member of the lobby (see `RoomStore`).
    ///
    /// - Throws: `StoreError.duplicateUser` when the name exists in any case.
    public func addUser(_ name: UserName, passwordHash: String) throws {
        try pool.write { db in try AccountSQL.add(name, passwordHash: passwordHash, in: db) }
    }

    /// Removes the account; false when there was none.
    @discardableResult
    public func deleteUser(_ name: UserName) throws -> Bool {
        try pool.write { db in try AccountSQL.delete(name, in: db) }
    }

    /// Locks or unlocks the account; false when there is none. A change of state
    /// raises the credential generation, which ends the account's sessions.
    @discardableResult
    public func setLocked(_ locked: Bool, for name: UserName) throws -> Bool {
        try pool.write { db in try AccountSQL.setLocked(locked, for: name, in: db) }
    }

    /// Replaces the account's password hash (an administrator's reset); false when
    /// there is none. Raises the credential generation, which ends every session.
    @discardableResult
    public func setPasswordHash(_ hash: String, for name: UserName) throws -> Bool {
        try pool.write { db in try AccountSQL.resetPassword(of: name, to: hash, in: db) }
    }

    /// Notes a successful login; does nothing when there is no such account.
    public func recordLogin(_ name: UserName, at date: Date = Date()) throws {
        try pool.write { db in try AccountSQL.recordLogins([name: date], in: db) }
    }
}
