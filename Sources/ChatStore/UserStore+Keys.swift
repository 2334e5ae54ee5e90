import Foundation
internal import GRDB

extension UserStore {
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
            try db.execute(
                sql: """
                    INSERT INTO dm_key (user_id, public_key, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(user_id) DO UPDATE SET public_key = excluded.public_key, updated_at = excluded.updated_at
                    """,
                arguments: [id, Data(key), Date()]
            )
            return true
        }
    }
}
