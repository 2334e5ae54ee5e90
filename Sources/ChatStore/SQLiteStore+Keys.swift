import ChatModel
import Foundation
internal import GRDB

extension SQLiteStore: PublicKeyStore {
    public func publicKey(of name: UserName) async throws -> [UInt8]? {
        try await pool.read { db in try Self.publicKey(of: name, in: db) }
    }

    public func setPublicKey(_ key: [UInt8], for stamp: CredentialStamp) async throws -> Bool {
        try await pool.write { db in
            let current = try Int64.fetchOne(
                db,
                sql: "SELECT 1 FROM user WHERE id = ? AND generation = ? AND locked = 0",
                arguments: [stamp.account.rawValue, stamp.generation]
            )
            guard current != nil else { return false }
            try Self.storeKey(key, accountID: stamp.account.rawValue, in: db)
            return true
        }
    }

    // Blocking calls for tests that look at, or plant, a key as another process would.

    /// The account's published key, or nil.
    public func publicKey(for name: UserName) throws -> [UInt8]? {
        try pool.read { db in try Self.publicKey(of: name, in: db) }
    }

    /// Publishes (or replaces) the account's key with no stamp to check; false if
    /// there is no such account.
    @discardableResult
    public func setPublicKey(_ key: [UInt8], for name: UserName) throws -> Bool {
        try pool.write { db in
            guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM user WHERE name_key = ?", arguments: [name.key]) else {
                return false
            }
            try Self.storeKey(key, accountID: id, in: db)
            return true
        }
    }

    private static func publicKey(of name: UserName, in db: Database) throws -> [UInt8]? {
        let data = try Data.fetchOne(
            db,
            sql: "SELECT k.public_key FROM dm_key k JOIN user u ON u.id = k.user_id WHERE u.name_key = ?",
            arguments: [name.key]
        )
        return data.map { Array($0) }
    }

    private static func storeKey(_ key: [UInt8], accountID: Int64, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO dm_key (user_id, public_key, updated_at) VALUES (?, ?, ?)
                ON CONFLICT(user_id) DO UPDATE SET public_key = excluded.public_key, updated_at = excluded.updated_at
                """,
            arguments: [accountID, Data(key), Date()]
        )
    }
}
