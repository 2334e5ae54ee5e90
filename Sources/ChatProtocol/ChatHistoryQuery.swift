import ChatModel

/// One `/chathistory` request, in the style of IRCv3 `CHATHISTORY`: a page of one
/// conversation's stored events, found by id.
public struct ChatHistoryQuery: Equatable, Sendable {
    /// Which events, by id. Bounds are exclusive.
    public enum Selector: Equatable, Sendable {
        /// The newest events.
        case latest
        /// The newest events with ids below this one.
        case before(Int64)
        /// The oldest events with ids above this one.
        case after(Int64)
        /// The oldest events with ids strictly between the two, given in either order.
        case between(Int64, Int64)

        /// The selector's word on the wire.
        public var word: String {
            switch self {
            case .latest: "latest"
            case .before: "before"
            case .after: "after"
            case .between: "between"
            }
        }
    }

    public var selector: Selector
    public var target: ConversationTarget
    /// 1 to ``ClientCommand/maxPageLimit``.
    public var limit: Int

    public init(_ selector: Selector, target: ConversationTarget, limit: Int = ClientCommand.defaultChatHistoryLimit) {
        self.selector = selector
        self.target = target
        self.limit = limit
    }
}

/// A conversation as a client names it: a room (`#` first, validated as room names
/// are), or a user, meaning the direct conversation between that user and oneself.
/// A user name is passed through raw: whether it exists is the server's decision.
public enum ConversationTarget: Equatable, Sendable {
    case room(RoomName)
    case user(String)

    /// The target as written in the command and in `OK chathistory <target> …`.
    public var display: String {
        switch self {
        case .room(let room): room.display
        case .user(let user): user
        }
    }
}
