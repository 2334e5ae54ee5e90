import ChatModel
import Foundation

/// A conversation: a room, or the direct messages between two accounts.
///
/// Rooms are matched by `RoomName.key`, so `#Rust` and `#rust` are one conversation.
/// A direct conversation is the unordered pair of its two accounts: whichever of them
/// sends, the messages go to the same conversation, in one order.
public struct ConversationID: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case room(RoomName)
        /// The smaller account id first; build it with `ConversationID.direct(_:_:)`.
        case direct(AccountID, AccountID)
    }

    public let kind: Kind

    private init(kind: Kind) {
        self.kind = kind
    }

    public static func room(_ name: RoomName) -> ConversationID {
        ConversationID(kind: .room(name))
    }

    /// The direct conversation between `one` and `other`, in either order.
    public static func direct(_ one: AccountID, _ other: AccountID) -> ConversationID {
        one.rawValue <= other.rawValue
            ? ConversationID(kind: .direct(one, other)) : ConversationID(kind: .direct(other, one))
    }

    /// How the store keys the conversation: the room key (`#rust`, never clashing with
    /// the other form, which cannot start with `#`), or `dm:<low id>:<high id>`.
    package var storageKey: String {
        switch kind {
        case .room(let name): name.key
        case .direct(let low, let high): "dm:\(low.rawValue):\(high.rawValue)"
        }
    }

    package init?(storageKey key: String) {
        if key.hasPrefix("#") {
            guard let name = RoomName(key) else { return nil }
            self.init(kind: .room(name))
            return
        }
        let parts = key.split(separator: ":")
        guard parts.count == 3, parts[0] == "dm", let low = Int64(parts[1]), let high = Int64(parts[2]), low <= high else {
            return nil
        }
        self.init(kind: .direct(AccountID(low), AccountID(high)))
    }

    public var description: String { storageKey }
}

/// An event's place in the log: assigned by the store, never reused, and within one
/// conversation strictly increasing in the order the events were stored.
public struct EventID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int64

    public init(_ rawValue: Int64) {
        self.rawValue = rawValue
    }

    /// Before every event: catch-up from the start asks for the events after it.
    public static let start = EventID(0)

    public static func < (lhs: EventID, rhs: EventID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "\(rawValue)" }
}

/// What an event is. The raw values are stored; never renumber them.
public enum EventKind: Int, Sendable, CaseIterable {
    /// A message to a room; the body is UTF-8 text.
    case roomMessage = 1
    /// A direct message; the body is UTF-8 text.
    case directMessage = 2
    /// An end-to-end direct message: the body is the sealed payload exactly as relayed,
    /// opaque to the server and stored byte for byte.
    case sealedDirectMessage = 3

    /// Whether events of this kind belong in `conversation`.
    public func fits(_ conversation: ConversationID) -> Bool {
        switch (self, conversation.kind) {
        case (.roomMessage, .room), (.directMessage, .direct), (.sealedDirectMessage, .direct): true
        case (.roomMessage, .direct), (.directMessage, .room), (.sealedDirectMessage, .room): false
        }
    }
}

/// An event to store. The store assigns its id.
public struct NewEvent: Sendable, Equatable {
    public let conversation: ConversationID
    public let kind: EventKind
    public let sender: AccountID
    /// The sender's name as it was when sending; the log keeps it after the account goes.
    public let senderName: UserName
    public let body: [UInt8]
    /// Server time; stored to the millisecond (later digits are dropped).
    public let sentAt: Date

    /// - Precondition: `kind.fits(conversation)`.
    public init(conversation: ConversationID, kind: EventKind, sender: AccountID, senderName: UserName, body: [UInt8], sentAt: Date) {
        precondition(kind.fits(conversation), "a \(kind) does not belong in \(conversation)")
        self.conversation = conversation
        self.kind = kind
        self.sender = sender
        self.senderName = senderName
        self.body = body
        self.sentAt = sentAt
    }

    /// A text message: a room message in a room, a direct message between two accounts.
    public init(conversation: ConversationID, sender: AccountID, senderName: UserName, text: String, sentAt: Date) {
        let kind: EventKind
        switch conversation.kind {
        case .room: kind = .roomMessage
        case .direct: kind = .directMessage
        }
        self.init(conversation: conversation, kind: kind, sender: sender, senderName: senderName, body: Array(text.utf8), sentAt: sentAt)
    }
}

/// An event read back from the log.
public struct StoredEvent: Sendable, Equatable {
    public let id: EventID
    public let conversation: ConversationID
    public let kind: EventKind
    public let sender: AccountID
    public let senderName: UserName
    public let body: [UInt8]
    /// Whole milliseconds.
    public let sentAt: Date

    public init(id: EventID, conversation: ConversationID, kind: EventKind, sender: AccountID, senderName: UserName, body: [UInt8], sentAt: Date) {
        self.id = id
        self.conversation = conversation
        self.kind = kind
        self.sender = sender
        self.senderName = senderName
        self.body = body
        self.sentAt = sentAt
    }

    /// The text of a room or direct message; nil for a sealed one.
    public var text: String? {
        kind == .sealedDirectMessage ? nil : String(decoding: body, as: UTF8.self)
    }
}

/// A bounded page of events, oldest first, and whether more lie beyond it (older ones
/// for `history`, newer ones for `events(after:)`).
public struct EventPage: Sendable, Equatable {
    public let events: [StoredEvent]
    public let more: Bool

    public init(events: [StoredEvent], more: Bool) {
        self.events = events
        self.more = more
    }
}

/// What `join` did.
public enum MembershipChange: Sendable, Equatable {
    /// Joined a room that did not exist: it exists now, public, owned by the joiner.
    case created
    /// Joined an existing room.
    case joined
    case alreadyMember
    case noSuchAccount
    /// The room is private and the account neither owns it nor is invited; nothing
    /// changed.
    case notInvited
}

/// What `enqueueOffline` did.
public enum OfflineEnqueueResult: Sendable, Equatable {
    /// Stored in the log under this id and queued for the recipient.
    case queued(EventID)
    /// The recipient already has the maximum of undelivered messages; nothing was
    /// stored, so the sender can be told so.
    case queueFull
    /// The recipient does not exist (any more); nothing was stored.
    case noSuchAccount
}

/// How much history to keep.
///
/// The default keeps 30 days and at most 100,000 events per conversation. A small team
/// reads back over holidays of two or three weeks, which the one week of Ergo and
/// Prosody would lose; at a small team's volume (thousands of messages a day) a month
/// is a few tens of megabytes and keeps `history` and catch-up fast. The count bound
/// only stops one chatty room (or a bot) from growing without limit.
public struct RetentionPolicy: Sendable, Equatable {
    public var maxAge: TimeInterval
    public var maxPerConversation: Int

    public init(maxAge: TimeInterval, maxPerConversation: Int) {
        self.maxAge = maxAge
        self.maxPerConversation = maxPerConversation
    }

    public static let `default` = RetentionPolicy(maxAge: 30 * 24 * 3600, maxPerConversation: 100_000)
}

/// Failures of a conversation store that callers are expected to handle.
public enum ConversationStoreError: Error, Sendable, Equatable {
    /// The store was closed; nothing was stored.
    case closed
}
