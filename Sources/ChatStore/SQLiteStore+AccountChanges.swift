import Foundation
internal import GRDB

/// The change feed: the `account_change` table, which triggers fill whoever writes
/// (this process, chat-useradd, another server), so every process sees every change.
/// Its positions come from `AUTOINCREMENT` inside SQLite's single writer, so they grow
/// in commit order, as `AccountStore` requires.
extension SQLiteStore {
    public func latestAccountChange() async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM account_change") ?? 0
        }
    }

    /// One indexed range read: cheap enough to poll every fraction of a second.
    public func accountChanges(after sequence: Int64, limit: Int) async throws -> [AccountChange] {
        try await pool.unsafeRead { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT c.seq, c.user_id, u.generation, u.locked
                    FROM account_change c LEFT JOIN user u ON u.id = c.user_id
                    WHERE c.seq > ? ORDER BY c.seq LIMIT ?
                    """)
            return try Row.fetchAll(statement, arguments: [sequence, limit]).map { row in
                let generation: Int64? = row[2]
                let locked: Bool? = row[3]
                let status: AccountStatus =
                    switch (generation, locked) {
                    case (let generation?, true): .locked(generation: generation)
                    case (let generation?, _): .active(generation: generation)
                    case (nil, _): .deleted
                    }
                return AccountChange(sequence: row[0], account: AccountID(row[1]), status: status)
            }
        }
    }

    public func pruneAccountChanges(olderThan age: TimeInterval) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM account_change WHERE changed_at < datetime('now', ?)",
                arguments: ["\(-Int(age)) seconds"]
            )
        }
    }
}
