import ChatModel
import Foundation

/// Where conversations live: an append-only log of events (room messages, direct
/// messages, sealed end-to-end direct messages), the rooms each account belongs to, and
/// each account's queue of direct messages that arrived while it was offline.
///
/// The server sees conversations only through this protocol, so the store may be the
/// embedded file (`SQLiteStore`) or PostgreSQL on several nodes. What every
/// implementation must keep (`ConversationStoreConformance` in the tests checks it):
///
/// - **Ids**: `append` gives every event an `EventID`, never reused. Within one
///   conversation ids strictly increase in the order events were stored, and a reader
///   never sees an event before every earlier-stored event of its conversation is
///   visible: the ids a reader sees have no gaps that fill in later, so "everything
///   after the last id I saw" misses nothing. One sequence for the whole store is
///   fine (SQLite's one writer gives it; PostgreSQL must serialize the assignment and
///   the commit per conversation, e.g. a per-conversation advisory lock held across
///   both, because a plain sequence can commit out of order).
/// - **Acknowledgement**: when `append` or `enqueueOffline` returns, the events are
///   committed; an error means none of that call's events were stored.
/// - **Conversations** are rooms (matched by room key) and unordered pairs of accounts.
///   They need not be created: a conversation with no events is empty.
/// - **Membership belongs to the account**, not to a connection: it lasts until the
///   account leaves, is kicked or is deleted, or the room is deleted, across restarts.
///   Rooms have owners and may be private; `RoomStore` holds those rules.
/// - **Offline queue**: bounded per recipient; taking it removes what was taken. The
///   events themselves stay in the log (a taker that crashes before delivering can
///   still find them in the direct conversation by id).
/// - **Deleting an account** (through `AccountStore`) removes its memberships,
///   invitations and queue of undelivered direct messages; its rooms pass on or go
///   (see `RoomStore`). The log keeps events it sent, under the name it had, until
///   retention removes them.
/// - **No cache**: what anyone committed is seen by the next call.
/// - Calls never block the caller's thread while waiting for the disk or the network.
public protocol ConversationStore: Sendable {
    /// Stores `events` and returns their ids, in the same order. Events of one call
    /// are stored in that order (their ids increase along the array).
    func append(_ events: [NewEvent]) async throws -> [EventID]

    /// Stores `events` like `append`, then calls `stored` with their ids, or with the
    /// error that kept all of them out. Calls of `stored` come one at a time and in the
    /// order of the ids they carry, across all callers: a server that fans events out
    /// from `stored` hands every recipient the log's order. `stored` runs on the
    /// store's own thread and must be quick (hand work on, never wait).
    func append(_ events: [NewEvent], whenStored stored: @escaping @Sendable (Result<[EventID], any Error>) -> Void)

    /// The newest `limit` events of `conversation` with ids below `before` (all when
    /// nil), oldest first; `more` when older ones exist. `limit` is clamped to
    /// 1...`maxPageSize`.
    func history(of conversation: ConversationID, before: EventID?, limit: Int) async throws -> EventPage

    /// The oldest `limit` events after `after` and, when `before` is given, below it,
    /// in any of `conversations`, in id order; `more` when newer ones exist within the
    /// bounds. Paging forwards: repeat with the last id seen until `more` is false.
    /// `limit` is clamped to 1...`maxPageSize`.
    func events(after: EventID, before: EventID?, in conversations: [ConversationID], limit: Int) async throws -> EventPage

    /// Every direct conversation `account` is part of (it sent or received a direct
    /// message there, or an offline one was queued), ordered by the other account's id.
    /// A conversation stays listed after the other account is deleted, and goes when
    /// `account` is.
    func directConversations(of account: AccountID) async throws -> [DirectConversation]

    /// Catch-up for one account: the oldest `limit` events after `after` in the rooms
    /// `account` belongs to and its direct conversations, in id order, with `more`
    /// when newer ones exist. Memberships, direct conversations and events come from
    /// one snapshot, so a conversation that begins meanwhile has only events newer than
    /// anything on the page, which the next page (or live delivery) brings. `limit` is
    /// clamped to 1...`maxPageSize`.
    func events(after: EventID, forAccount account: AccountID, limit: Int) async throws -> AccountEventPage

    /// Makes `account` a member of `room`, creating the room (owned by `account`) when
    /// none exists, unless the room is private and `account` may not join it. See
    /// `RoomStore` for the rules.
    @discardableResult
    func join(_ account: AccountID, room: RoomName) async throws -> MembershipChange

    /// Ends `account`'s membership of `room`; false when it was not a member. A public
    /// room left without members is removed; a private one stays.
    @discardableResult
    func leave(_ account: AccountID, room: RoomName) async throws -> Bool

    /// The rooms `account` belongs to, ordered by key, spelled as when it joined.
    func rooms(of account: AccountID) async throws -> [RoomName]

    /// The members of `room`, ordered by id.
    func members(of room: RoomName) async throws -> [AccountID]

    /// Stores a direct message for `recipient`, who is offline, and queues it for
    /// them, in one transaction, unless `recipient` already has `limit` queued.
    ///
    /// - Precondition: `event` is a (sealed) direct message in a conversation of
    ///   `recipient`.
    func enqueueOffline(_ event: NewEvent, for recipient: AccountID, limit: Int) async throws -> OfflineEnqueueResult

    /// Queues a direct message that is stored already (`append`) for `recipient`, who
    /// went offline before it could be handed over. No cap: the message was
    /// acknowledged to its sender, so it must not be dropped. Does nothing when the
    /// event or the account is gone.
    func queueOffline(_ event: EventID, for recipient: AccountID) async throws

    /// Every direct message queued for `recipient`, oldest first, removed from the
    /// queue in the same transaction (taken once: a second call returns none of them).
    func takeOffline(for recipient: AccountID) async throws -> [StoredEvent]

    /// Removes events sent before `cutoff`, and in every conversation all but the
    /// newest `maxPerConversation`; queued offline messages go with their events.
    /// Returns how many events went. Works in bounded steps, so appends go on
    /// meanwhile.
    @discardableResult
    func prune(olderThan cutoff: Date, maxPerConversation: Int) async throws -> Int
}

/// The most events one page holds.
public let maxPageSize = 1_000

/// How many direct messages wait for one offline account by default (ejabberd's
/// default too): enough for a weekend, small enough that a login delivers them at once.
public let defaultOfflineQueueLimit = 100

extension ConversationStore {
    /// The oldest `limit` events after `after` in any of `conversations`, in id order;
    /// `more` when newer ones exist. Catch-up for a client: repeat with the last id
    /// seen until `more` is false.
    public func events(after: EventID, in conversations: [ConversationID], limit: Int) async throws -> EventPage {
        try await events(after: after, before: nil, in: conversations, limit: limit)
    }

    public func enqueueOffline(_ event: NewEvent, for recipient: AccountID) async throws -> OfflineEnqueueResult {
        try await enqueueOffline(event, for: recipient, limit: defaultOfflineQueueLimit)
    }

    /// Prunes by `policy` as of `now`.
    @discardableResult
    public func prune(_ policy: RetentionPolicy, now: Date = Date()) async throws -> Int {
        try await prune(olderThan: now.addingTimeInterval(-policy.maxAge), maxPerConversation: policy.maxPerConversation)
    }
}
