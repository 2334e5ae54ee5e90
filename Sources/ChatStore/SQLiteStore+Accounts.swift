import ChatModel
import Foundation
internal import GRDB

extension SQLiteStore: AccountStore {
    /// A single SELECT needs no explicit transaction (SQLite reads it from one
    /// snapshot), so the look-up every login makes skips BEGIN and COMMIT.
    public func account(named name: UserName) async throws -> UserRecord? {
        try await pool.unsafeRead { db in try AccountSQL.account(named: name, in: db) }
    }

    public func account(id: AccountID) async throws -> UserRecord? {
        try await pool.unsafeRead { db in try AccountSQL.account(id: id, in: db) }
    }

    public func allAccounts() async throws -> [UserRecord] {
        try await pool.read { db in try AccountSQL.allAccounts(in: db) }
    }

    public func addAccount(_ name: UserName, passwordHash: String) async throws {
        try await pool.write { db in try AccountSQL.add(name, passwordHash: passwordHash, in: db) }
    }

    @discardableResult
    public func deleteAccount(_ name: UserName) async throws -> Bool {
        try await pool.write { db in try AccountSQL.delete(name, in: db) }
    }

    @discardableResult
    public func setLocked(_ locked: Bool, account name: UserName) async throws -> Bool {
        try await pool.write { db in try AccountSQL.setLocked(locked, for: name, in: db) }
    }

    @discardableResult
    public func resetPassword(account name: UserName, passwordHash: String) async throws -> Bool {
        try await pool.write { db in try AccountSQL.resetPassword(of: name, to: passwordHash, in: db) }
    }

    public func changePassword(to passwordHash: String, for stamp: CredentialStamp) async throws -> CredentialStamp? {
        try await pool.write { db in try AccountSQL.changePassword(to: passwordHash, for: stamp, in: db) }
    }

    @discardableResult
    public func upgradePasswordHash(_ passwordHash: String, for stamp: CredentialStamp, loggedInAt date: Date) async throws -> Bool {
        try await pool.write { db in
            try AccountSQL.upgradePasswordHash(passwordHash, for: stamp, loggedInAt: date, in: db)
        }
    }

    public func recordLogins(_ logins: [UserName: Date]) async throws {
        guard !logins.isEmpty else { return }
        try await pool.write { db in try AccountSQL.recordLogins(logins, in: db) }
    }
}
