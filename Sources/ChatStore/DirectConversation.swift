import ChatModel

/// One of an account's direct conversations, and who is on the other side: what a
/// server needs to show a message the account sent (`DMSENT <recipient> …`).
public struct DirectConversation: Sendable, Equatable {
    public let conversation: ConversationID
    public let peer: AccountID
    /// The other account's name when the conversation began; kept after that account
    /// is deleted, so the survivor's history still names it.
    public let peerName: UserName

    public init(conversation: ConversationID, peer: AccountID, peerName: UserName) {
        self.conversation = conversation
        self.peer = peer
        self.peerName = peerName
    }
}

/// A catch-up page for one account: the oldest events after an id across every room it
/// belongs to and every direct conversation it is part of, in id order; `more` when
/// newer ones exist. `directConversations` are all of the account's, as of the same
/// snapshot, so each direct event's other side can be named.
public struct AccountEventPage: Sendable, Equatable {
    public let events: [StoredEvent]
    public let more: Bool
    public let directConversations: [DirectConversation]

    public init(events: [StoredEvent], more: Bool, directConversations: [DirectConversation]) {
        self.events = events
        self.more = more
        self.directConversations = directConversations
    }
}
