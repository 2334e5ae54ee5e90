import ChatModel
import Foundation
internal import GRDB
internal import GRDBSQLite

/// The SQL behind `SQLiteStore`'s `ConversationStore` calls, each inside a transaction
/// its caller opened. Tables are made by the "v4-conversations" migration; membership
/// is in `RoomSQL`.
enum ConversationSQL {
    private static let columns = "id, conversation, kind, sender_id, sender_name, body, sent_at"

    /// Whole milliseconds, later digits dropped. Through whole microseconds first, so
    /// that a time of exactly `….127` that a Double holds as `….12699999` stays `….127`.
    static func milliseconds(_ date: Date) -> Int64 {
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        return microseconds >= 0 ? microseconds / 1000 : (microseconds - 999) / 1000
    }

    /// Rows per INSERT statement: a batch of group commit goes in as few statements as
    /// this allows, which halves what each event costs next to a statement per event
    /// (SQLite's per-statement work: VDBE start, the AUTOINCREMENT bookkeeping).
    /// 6 columns × 64 rows stays far below SQLite's limit of bound variables.
    static let rowsPerInsert = 64

    /// Appends `events` in order; their ids, which are consecutive per statement.
    ///
    /// The one statement run for every stored message, so its values are bound with
    /// SQLite's C API on GRDB's cached statement instead of through
    /// `StatementArguments`: boxing each value as a `DatabaseValue` (and each body as
    /// `Data`) was most of the writer thread's own work under a saturated fan-out,
    /// more than SQLite's. Nothing else runs this statement, so GRDB's view of its
    /// arguments never matters; it is reset and its bindings cleared after each use.
    static func insert(_ events: [NewEvent], in db: Database) throws -> [EventID] {
        var ids: [EventID] = []
        ids.reserveCapacity(events.count)
        var start = events.startIndex
        while start < events.endIndex {
            let chunk = events[start..<min(start + rowsPerInsert, events.endIndex)]
            let statement = try db.cachedStatement(sql: insertSQL[chunk.count]).sqliteStatement
            defer {
                sqlite3_reset(statement)
                sqlite3_clear_bindings(statement)
            }
            var column: Int32 = 1
            for event in chunk {
                try check(bindText(event.conversation.storageKey, to: statement, at: column), in: db)
                try check(sqlite3_bind_int64(statement, column + 1, Int64(event.kind.rawValue)), in: db)
                try check(sqlite3_bind_int64(statement, column + 2, event.sender.rawValue), in: db)
                try check(bindText(event.senderName.display, to: statement, at: column + 3), in: db)
                try check(bindBlob(event.body, to: statement, at: column + 4), in: db)
                try check(sqlite3_bind_int64(statement, column + 5, milliseconds(event.sentAt)), in: db)
                column += 6
            }
            let result = sqlite3_step(statement)
            guard result == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: result), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            // One statement of one writer: its rows took consecutive ids, in order
            // (AUTOINCREMENT gives each the largest id so far plus one).
            let last = db.lastInsertedRowID
            for offset in stride(from: Int64(chunk.count - 1), through: 0, by: -1) {
                ids.append(EventID(last - offset))
            }
            for event in chunk {
                if case .direct(let low, let high) = event.conversation.kind {
                    try DirectConversationSQL.record(event.conversation, between: low, and: high, in: db)
                }
            }
            start = chunk.endIndex
        }
        return ids
    }

    /// SQLite's `SQLITE_TRANSIENT`: it copies the value before the bind call returns,
    /// so the bytes need not outlive the call.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    private static func bindText(_ text: String, to statement: OpaquePointer, at index: Int32) -> Int32 {
        text.withCString { sqlite3_bind_text64(statement, index, $0, sqlite3_uint64(text.utf8.count), transient, UInt8(SQLITE_UTF8)) }
    }

    private static func bindBlob(_ bytes: [UInt8], to statement: OpaquePointer, at index: Int32) -> Int32 {
        bytes.withUnsafeBytes { bytes in
            // An empty array may have no address, and a null pointer would bind NULL,
            // which the column refuses.
            guard let address = bytes.baseAddress else { return sqlite3_bind_zeroblob(statement, index, 0) }
            return sqlite3_bind_blob64(statement, index, address, sqlite3_uint64(bytes.count), transient)
        }
    }

    private static func check(_ result: Int32, in db: Database) throws {
        guard result == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: result), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    /// The INSERT of `n` rows at index `n`.
    private static let insertSQL = (0...rowsPerInsert).map { rows in
        "INSERT INTO event (conversation, kind, sender_id, sender_name, body, sent_at) VALUES "
            + repeatElement("(?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
    }

    static func history(of conversation: ConversationID, before: EventID?, limit: Int, in db: Database) throws -> EventPage {
        let limit = clamp(limit)
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: "SELECT \(columns) FROM event WHERE conversation = ? AND id < ? ORDER BY id DESC LIMIT ?"
            ),
            arguments: [conversation.storageKey, before?.rawValue ?? Int64.max, limit + 1]
        )
        let events = try rows.prefix(limit).reversed().map(event)
        return EventPage(events: events, more: rows.count > limit)
    }

    /// One index range per conversation, each at most a page of ids read from the index
    /// alone, merged here; then the page's rows by id. Bounded work whatever `after` is
    /// (one `IN (...) ORDER BY id` query would read and sort every event after `after`
    /// in a big room before applying the limit), and no row is read that the page does
    /// not show. The caller's read transaction makes the ranges one snapshot.
    static func events(after: EventID, before: EventID?, in conversations: [String], limit: Int, in db: Database) throws -> EventPage {
        let limit = clamp(limit)
        let range = try db.cachedStatement(
            sql: "SELECT id FROM event WHERE conversation = ? AND id > ? AND id < ? ORDER BY id LIMIT ?"
        )
        var ids: [Int64] = []
        for key in Set(conversations) {
            ids += try Int64.fetchAll(range, arguments: [key, after.rawValue, before?.rawValue ?? Int64.max, limit + 1])
        }
        ids.sort()
        let row = try db.cachedStatement(sql: "SELECT \(columns) FROM event WHERE id = ?")
        let events = try ids.prefix(limit).compactMap { id in try Row.fetchOne(row, arguments: [id]).map(event) }
        return EventPage(events: events, more: ids.count > limit)
    }

    static func enqueueOffline(_ event: NewEvent, for recipient: AccountID, limit: Int, in db: Database) throws -> OfflineEnqueueResult {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE id = ?)", arguments: [recipient.rawValue]) == true else {
            return .noSuchAccount
        }
        let queued = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM offline_dm WHERE recipient_id = ?", arguments: [recipient.rawValue]) ?? 0
        guard queued < limit else { return .queueFull }
        let id = try insert([event], in: db)[0]
        try db.execute(sql: "INSERT INTO offline_dm (recipient_id, event_id) VALUES (?, ?)", arguments: [recipient.rawValue, id.rawValue])
        return .queued(id)
    }

    static func takeOffline(for recipient: AccountID, in db: Database) throws -> [StoredEvent] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT \(columns) FROM event WHERE id IN (SELECT event_id FROM offline_dm WHERE recipient_id = ?) ORDER BY id
                """,
            arguments: [recipient.rawValue]
        )
        try db.execute(sql: "DELETE FROM offline_dm WHERE recipient_id = ?", arguments: [recipient.rawValue])
        return try rows.map(event)
    }

    /// One step of age pruning: at most `step` events. Returns how many went.
    static func pruneStep(olderThan cutoff: Date, step: Int, in db: Database) throws -> Int {
        try db.execute(
            sql: "DELETE FROM event WHERE id IN (SELECT id FROM event WHERE sent_at < ? LIMIT ?)",
            arguments: [milliseconds(cutoff), step]
        )
        return db.changesCount
    }

    /// Conversations holding more than `count` events.
    static func crowdedConversations(over count: Int, in db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT conversation FROM event GROUP BY conversation HAVING COUNT(*) > ?", arguments: [count])
    }

    /// One step of count pruning in `conversation`: at most `step` of its events beyond
    /// the newest `keep`.
    static func pruneStep(conversation: String, keeping keep: Int, step: Int, in db: Database) throws -> Int {
        try db.execute(
            sql: """
                DELETE FROM event WHERE id IN (
                    SELECT id FROM event WHERE conversation = ? ORDER BY id DESC LIMIT ? OFFSET ?)
                """,
            arguments: [conversation, step, keep]
        )
        return db.changesCount
    }

    private static func clamp(_ limit: Int) -> Int {
        min(max(limit, 1), maxPageSize)
    }

    static func event(_ row: Row) throws -> StoredEvent {
        let key: String = row["conversation"]
        let kindValue: Int = row["kind"]
        let name: String = row["sender_name"]
        guard let conversation = ConversationID(storageKey: key), let kind = EventKind(rawValue: kindValue) else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "unreadable event \(row["id"] as Int64? ?? 0)")
        }
        let body: Data = row["body"]
        let milliseconds: Int64 = row["sent_at"]
        return StoredEvent(
            id: EventID(row["id"]),
            conversation: conversation,
            kind: kind,
            sender: AccountID(row["sender_id"]),
            senderName: UserName(storedDisplay: name, key: name.lowercased()),
            body: [UInt8](body),
            sentAt: Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        )
    }
}
