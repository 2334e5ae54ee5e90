import Foundation
internal import GRDB

extension SQLiteStore {
    /// The newest position in the account change feed; a reader starts after it.
    public func latestAccountChange() throws -> Int64 {
        try pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM account_change") ?? 0
        }
    }

    /// Accounts whose credentials changed after feed position `sequence`, oldest
    /// first, at most `limit`, each with its status now. Triggers fill the feed, so
    /// changes made by any process (chat-useradd, another server) appear here.
    ///
    /// One indexed range read: cheap enough to poll every fraction of a second.
    public func accountChanges(after sequence: Int64, limit: Int = 1_000) throws -> [AccountChange] {
        try pool.unsafeRead { db in
            let statement = try db.cachedStatement(sql: """
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

    /// The account's status now.
    public func status(of account: AccountID) throws -> AccountStatus {
        guard let record = try user(id: account) else { return .deleted }
        let generation = record.credential.generation
        return record.isLocked ? .locked(generation: generation) : .active(generation: generation)
    }

    /// Drops feed entries older than `age`: a reader only needs what happened since it
    /// last looked, and a running server looks about every second.
    public func pruneAccountChanges(olderThan age: TimeInterval) throws {
        try pool.write { db in
            try db.execute(
                sql: "DELETE FROM account_change WHERE changed_at < datetime('now', ?)",
                arguments: ["\(-Int(age)) seconds"]
            )
        }
    }
}
