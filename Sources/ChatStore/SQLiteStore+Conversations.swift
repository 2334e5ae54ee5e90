import ChatModel
import Foundation
internal import GRDB

/// Appends go through the group-commit writer; every other call is one short
/// transaction on GRDB's queues (reads on the reader pool, in parallel with writes).
extension SQLiteStore: ConversationStore {
    /// How many rows one pruning transaction deletes at most, so appends waiting for
    /// the write lock wait milliseconds, not the length of the whole pass.
    static let pruneStep = 5_000

    public func append(_ events: [NewEvent]) async throws -> [EventID] {
        try await writer.append(events)
    }

    public func append(_ events: [NewEvent], whenStored stored: @escaping @Sendable (Result<[EventID], any Error>) -> Void) {
        writer.append(events, whenStored: stored)
    }

    public func queueOffline(_ event: EventID, for recipient: AccountID) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO offline_dm (recipient_id, event_id)
                        SELECT user.id, event.id FROM user, event WHERE user.id = ? AND event.id = ?
                    """,
                arguments: [recipient.rawValue, event.rawValue])
        }
    }

    /// Calls `hook` on the store's thread after the `whenStored` callbacks of each
    /// group commit have run. A server that only collects events in its callbacks can
    /// then fan a whole batch out at once: one wake-up of an event loop per batch, not
    /// per message, and every recipient's lines of the batch in one write.
    public func afterEachBatch(_ hook: @escaping @Sendable () -> Void) {
        writer.afterEachBatch(hook)
    }

    public func history(of conversation: ConversationID, before: EventID?, limit: Int) async throws -> EventPage {
        try await pool.read { db in try ConversationSQL.history(of: conversation, before: before, limit: limit, in: db) }
    }

    public func events(after: EventID, before: EventID?, in conversations: [ConversationID], limit: Int) async throws -> EventPage {
        try await pool.read { db in
            try ConversationSQL.events(after: after, before: before, in: conversations.map(\.storageKey), limit: limit, in: db)
        }
    }

    public func directConversations(of account: AccountID) async throws -> [DirectConversation] {
        try await pool.read { db in try DirectConversationSQL.conversations(of: account, in: db) }
    }

    public func events(after: EventID, forAccount account: AccountID, limit: Int) async throws -> AccountEventPage {
        try await pool.read { db in try DirectConversationSQL.events(after: after, forAccount: account, limit: limit, in: db) }
    }

    @discardableResult
    public func join(_ account: AccountID, room: RoomName) async throws -> MembershipChange {
        let now = Date()
        return try await pool.write { db in try RoomSQL.join(account, room: room, at: now, in: db) }
    }

    @discardableResult
    public func leave(_ account: AccountID, room: RoomName) async throws -> Bool {
        try await pool.write { db in try RoomSQL.leave(account, room: room, in: db) }
    }

    public func rooms(of account: AccountID) async throws -> [RoomName] {
        try await pool.read { db in try RoomSQL.rooms(of: account, in: db) }
    }

    public func members(of room: RoomName) async throws -> [AccountID] {
        try await pool.read { db in try RoomSQL.members(of: room, in: db) }
    }

    public func enqueueOffline(_ event: NewEvent, for recipient: AccountID, limit: Int) async throws -> OfflineEnqueueResult {
        guard case .direct(let low, let high) = event.conversation.kind, low == recipient || high == recipient else {
            preconditionFailure("an offline message for \(recipient) must be a direct message to them")
        }
        return try await pool.write { db in try ConversationSQL.enqueueOffline(event, for: recipient, limit: limit, in: db) }
    }

    public func takeOffline(for recipient: AccountID) async throws -> [StoredEvent] {
        // Nearly every login has nothing waiting: find that out on a reader, so that a
        // storm of logins does not queue for the one writer (and its WAL appends).
        let waiting = try await pool.read { db in
            try Bool.fetchOne(db.cachedStatement(sql: Self.offlineWaiting), arguments: [recipient.rawValue])
        }
        guard waiting == true else { return [] }
        return try await pool.write { db in try ConversationSQL.takeOffline(for: recipient, in: db) }
    }

    @discardableResult
    public func prune(olderThan cutoff: Date, maxPerConversation: Int) async throws -> Int {
        let step = Self.pruneStep
        var removed = 0
        while true {
            let count = try await pool.write { db in try ConversationSQL.pruneStep(olderThan: cutoff, step: step, in: db) }
            removed += count
            if count < step { break }
        }
        let keep = max(maxPerConversation, 0)
        let crowded = try await pool.read { db in try ConversationSQL.crowdedConversations(over: keep, in: db) }
        for conversation in crowded {
            while true {
                let count = try await pool.write { db in
                    try ConversationSQL.pruneStep(conversation: conversation, keeping: keep, step: step, in: db)
                }
                removed += count
                if count < step { break }
            }
        }
        return removed
    }
}
