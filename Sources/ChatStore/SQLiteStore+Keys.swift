import Foundation
internal import GRDB

extension SQLiteStore {
    /// The account's published public key for end-to-end DMs, or nil if it has none
    /// (or does not exist).
    public func publicKey(for name: UserName) throws -> [UInt8]? {
        try pool.read { db in
            let data = try Data.fetchOne(
                db,
                sql: "SELECT k.public_key FROM dm_key k JOIN user u ON u.id = k.user_id WHERE u.name_key = ?",
                arguments: [name.key]
            )
            return data.map { Array($0) }
        }
    }

    /// Publishes (or replaces) the account's public key; false if there is no such
    /// account.
    @discardableResult
    public func setPublicKey(_ key: [UInt8], for name: UserName) throws -> Bool {
        try pool.write { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM user WHERE name_key = ?", arguments: [name.key]) else {
                return false
            }
            try storeKey(key, accountID: id, in: db)
            return true
        }
    }

    /// Publishes (or replaces) the public key of the account a session holds `stamp`
    /// for; false, with nothing stored, when the stamp is stale (the account was
    /// locked, deleted, re-created or given a new password since that login).
    public func setPublicKey(_ key: [UInt8], for stamp: CredentialStamp) throws -> Bool {
        try pool.write { db in
            let current = try Int64.fetchOne(
                db,
                sql: "SELECT 1 FROM user WHERE id = ? AND generation = ? AND locked = 0",
                arguments: [stamp.account.rawValue, stamp.generation]
            )
            guard current != nil else { return false }
            try storeKey(key, accountID: stamp.account.rawValue, in: db)
            return true
        }
    }
}

private func storeKey(_ key: [UInt8], accountID: Int64, in db: Database) throws {
    try db.execute(
        sql: """
            INSERT INTO dm_key (user_id, public_key, updated_at) VALUES (?, ?, ?)
            ON CONFLICT(user_id) DO UPDATE SET public_key = excluded.public_key, updated_at = excluded.updated_at
            """,
        arguments: [accountID, Data(key), Date()]
    )
}
