import ChatModel
import ChatProtocol
import ChatStore
import NIOCore

/// `/chathistory` and `/catchup`: pages of stored events by id, as lines for the
/// account that asks.
extension Conversations {
    /// A page of lines, oldest first, each with its stamp; `more` when more lie beyond
    /// it in the direction of paging.
    struct LinePage: Sendable {
        var lines: [(ServerEvent, EventStamp)]
        var more: Bool
    }

    /// What `/chathistory` found for a user target.
    enum DirectPage: Sendable {
        /// The page, and the user as their account spells the name.
        case page(LinePage, UserName)
        case noSuchUser
    }

    /// A page of `room` (whose membership the caller checked), spelled `room` in its lines.
    func page(of room: RoomName, _ selector: ChatHistoryQuery.Selector, limit: Int, for account: AccountID, on eventLoop: EventLoop)
        -> EventLoopFuture<LinePage>
    {
        let lines = StoredEventLines(viewer: account, rooms: [room], peers: [:])
        return eventLoop.makeFutureWithNIOTask { [store] in
            let page = try await Self.page(of: .room(room), selector, limit: limit, in: store)
            return LinePage(lines: page.events.map(lines.line), more: page.more)
        }
    }

    /// A page of the direct conversation between `account` and `user`.
    func page(with user: UserName, _ selector: ChatHistoryQuery.Selector, limit: Int, for account: AccountID, on eventLoop: EventLoop)
        -> EventLoopFuture<DirectPage>
    {
        eventLoop.makeFutureWithNIOTask { [store, accounts] in
            guard let record = try await accounts.account(named: user) else { return .noSuchUser }
            let conversation = ConversationID.direct(account, record.credential.account)
            let lines = StoredEventLines(viewer: account, rooms: [], peers: [conversation: record.name])
            let page = try await Self.page(of: conversation, selector, limit: limit, in: store)
            return .page(LinePage(lines: page.events.map(lines.line), more: page.more), record.name)
        }
    }

    /// `latest` and `before` page backwards from the newest (or from an id), `after`
    /// and `between` forwards from an id; bounds are exclusive, and `between` takes
    /// its two ids in either order.
    private static func page(
        of conversation: ConversationID,
        _ selector: ChatHistoryQuery.Selector,
        limit: Int,
        in store: any ConversationStore
    ) async throws -> EventPage {
        switch selector {
        case .latest:
            return try await store.history(of: conversation, before: nil, limit: limit)
        case .before(let id):
            return try await store.history(of: conversation, before: EventID(id), limit: limit)
        case .after(let id):
            return try await store.events(after: EventID(id), before: nil, in: [conversation], limit: limit)
        case .between(let first, let second):
            return try await store.events(
                after: EventID(min(first, second)), before: EventID(max(first, second)), in: [conversation], limit: limit)
        }
    }

    /// Catch-up: the oldest `limit` events after `after` in every room and direct
    /// conversation of `account`, in id order. `rooms` spell the rooms as live lines do.
    func catchUp(after: Int64, limit: Int, for account: AccountID, rooms: [RoomName], on eventLoop: EventLoop) -> EventLoopFuture<LinePage> {
        eventLoop.makeFutureWithNIOTask { [store] in
            let page = try await store.events(after: EventID(after), forAccount: account, limit: limit)
            let peers = Dictionary(page.directConversations.map { ($0.conversation, $0.peerName) }) { first, _ in first }
            let lines = StoredEventLines(viewer: account, rooms: rooms, peers: peers)
            return LinePage(lines: page.events.map(lines.line), more: page.more)
        }
    }
}
