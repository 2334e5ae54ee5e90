import ChatModel
internal import GRDB

extension SQLiteStore {
    /// One read transaction on a reader: the account row, its rooms and whether direct
    /// messages wait, every statement prepared once per connection.
    public func loginSnapshot(named name: UserName) async throws -> LoginSnapshot? {
        try await pool.read { db in
            let account = try AccountSQL.account(named: name, in: db)
            // The same statements run for a name with no account (no id is 0), so that
            // a login for an unknown name does the same work as one for a known name.
            let id = account?.credential.account ?? AccountID(0)
            let rooms = try RoomSQL.rooms(of: id, in: db)
            let waiting = try Bool.fetchOne(db.cachedStatement(sql: Self.offlineWaiting), arguments: [id.rawValue]) ?? false
            return account.map { LoginSnapshot(account: $0, rooms: rooms, hasOfflineMessages: waiting) }
        }
    }

    static let offlineWaiting = "SELECT EXISTS (SELECT 1 FROM offline_dm WHERE recipient_id = ?)"
}
