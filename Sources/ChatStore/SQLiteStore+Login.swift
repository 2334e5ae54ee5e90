import ChatModel
internal import GRDB

extension SQLiteStore: LocalLoginSnapshots {
    public func loginSnapshot(named name: UserName) async throws -> LoginSnapshot? {
        try await pool.unsafeRead { db in try Self.loginSnapshot(named: name, in: db) }
    }

    public func loginSnapshotBlocking(named name: UserName) throws -> LoginSnapshot? {
        try pool.unsafeRead { db in try Self.loginSnapshot(named: name, in: db) }
    }

    /// The account row, its rooms and whether direct messages wait, as one statement:
    /// SQLite reads a statement from one snapshot, so the parts agree without an
    /// explicit transaction (whose BEGIN and COMMIT, with GRDB's bookkeeping around
    /// them, cost more than the query). `unsafeRead` is safe here for that reason.
    private static func loginSnapshot(named name: UserName, in db: Database) throws -> LoginSnapshot? {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: loginSnapshotSQL), arguments: [name.key])
        guard let first = try rows.next() else { return nil }
        // No such account: one row of NULLs but the last two.
        guard first[7] != nil else { return nil }
        let account = try UserRecordRow(row: first).record
        let waiting: Bool = try first.decode(atIndex: 9)
        var rooms: [RoomName] = []
        var row: Row? = first
        while let current = row {
            if let room = (try current.decode(atIndex: 10) as String?).flatMap(RoomName.init) {
                rooms.append(room)
            }
            row = try rows.next()
        }
        return LoginSnapshot(account: account, rooms: rooms, hasOfflineMessages: waiting)
    }

    /// `UserRecordRow.columns`, then whether direct messages wait, then one room per
    /// row (ordered by key, spelled as the room's creator did), or NULL. A name with no
    /// account runs the same joins with id 0, so that a login for an unknown name does
    /// the same work as one for a known name.
    static let loginSnapshotSQL = """
        SELECT \(UserRecordRow.columns),
               EXISTS (SELECT 1 FROM offline_dm WHERE recipient_id = k.id),
               r.name
        FROM (SELECT coalesce((SELECT id FROM user WHERE name_key = ?), 0) AS id) AS k
        LEFT JOIN user ON user.id = k.id
        LEFT JOIN room_member m ON m.user_id = k.id
        LEFT JOIN room r ON r.key = m.room_key
        ORDER BY m.room_key
        """

    static let offlineWaiting = "SELECT EXISTS (SELECT 1 FROM offline_dm WHERE recipient_id = ?)"
}
