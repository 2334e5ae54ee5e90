import ChatModel
import ChatStore
import Foundation
import NIOConcurrencyHelpers

/// A real SQLite store whose batch appends (the path the server's loops use) wait,
/// while held, until the test releases them, as a writer stuck behind a slow disk
/// would: to show what must not overtake them. Everything else goes straight through.
final class HeldConversationStore: ConversationStore {
    typealias Stored = @Sendable (Result<[EventID], any Error>) -> Void

    private struct State {
        var holding = false
        var held: [(events: [NewEvent], stored: Stored)] = []
    }

    let store: SQLiteStore
    private let state = NIOLockedValueBox(State())

    init(_ store: SQLiteStore) {
        self.store = store
    }

    /// Batch appends wait from now on until `release()`.
    func hold() {
        state.withLockedValue { $0.holding = true }
    }

    var heldCount: Int {
        state.withLockedValue { $0.held.count }
    }

    /// Hands the waiting batches to the store, in order, and later ones at once.
    func release() {
        let held = state.withLockedValue { state in
            state.holding = false
            defer { state.held = [] }
            return state.held
        }
        for (events, stored) in held {
            store.append(events, whenStored: stored)
        }
    }

    func append(_ events: [NewEvent], whenStored stored: @escaping Stored) {
        let waits = state.withLockedValue { state in
            if state.holding { state.held.append((events, stored)) }
            return state.holding
        }
        if !waits { store.append(events, whenStored: stored) }
    }

    func append(_ events: [NewEvent]) async throws -> [EventID] {
        try await store.append(events)
    }

    func history(of conversation: ConversationID, before: EventID?, limit: Int) async throws -> EventPage {
        try await store.history(of: conversation, before: before, limit: limit)
    }

    func events(after: EventID, before: EventID?, in conversations: [ConversationID], limit: Int) async throws -> EventPage {
        try await store.events(after: after, before: before, in: conversations, limit: limit)
    }

    func directConversations(of account: AccountID) async throws -> [DirectConversation] {
        try await store.directConversations(of: account)
    }

    func events(after: EventID, forAccount account: AccountID, limit: Int) async throws -> AccountEventPage {
        try await store.events(after: after, forAccount: account, limit: limit)
    }

    func join(_ account: AccountID, room: RoomName) async throws -> MembershipChange {
        try await store.join(account, room: room)
    }

    func leave(_ account: AccountID, room: RoomName) async throws -> Bool {
        try await store.leave(account, room: room)
    }

    func rooms(of account: AccountID) async throws -> [RoomName] {
        try await store.rooms(of: account)
    }

    func members(of room: RoomName) async throws -> [AccountID] {
        try await store.members(of: room)
    }

    func enqueueOffline(_ event: NewEvent, for recipient: AccountID, limit: Int) async throws -> OfflineEnqueueResult {
        try await store.enqueueOffline(event, for: recipient, limit: limit)
    }

    func queueOffline(_ event: EventID, for recipient: AccountID) async throws {
        try await store.queueOffline(event, for: recipient)
    }

    func takeOffline(for recipient: AccountID) async throws -> [StoredEvent] {
        try await store.takeOffline(for: recipient)
    }

    func prune(olderThan cutoff: Date, maxPerConversation: Int) async throws -> Int {
        try await store.prune(olderThan: cutoff, maxPerConversation: maxPerConversation)
    }
}
