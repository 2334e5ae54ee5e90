import ChatModel
import ChatProtocol
import ChatStore
import Foundation
import Logging
import NIOCore
import Synchronization

/// Messages, memberships and history: the conversation store first, then the hub.
///
/// A message is stored before anyone sees it. Its batch commits off the event loops
/// (`ConversationStore.append(_:whenStored:)`), and only then is it fanned out and
/// acknowledged, in the order of the ids: so every line a client gets carries an event
/// that is in the log, a client catching up by id never sees something live that the
/// log then lacks, and a crash loses nothing anyone was shown or told was stored (see
/// `SQLiteStore.Durability` for what a power cut can lose). A message that cannot be
/// stored (disk full, read-only file) reaches no one and its sender gets
/// `ERR not-stored`.
final class Conversations: Sendable {
    /// What became of a direct message.
    enum DirectOutcome: Sendable {
        /// Handed to the recipient's sessions; `stamp` is nil when messages are not stored.
        case delivered(UserName, EventStamp?)
        /// The recipient is offline: stored and queued for their next login.
        case queued(UserName, EventStamp)
        case noSuchUser
        /// The recipient's offline queue is full; nothing was stored.
        case mailboxFull
        /// The store failed; nothing was stored or delivered.
        case notStored
    }

    /// What became of a `/join`.
    enum JoinOutcome: Sendable {
        /// A member now (or already), the room named as its creator spelled it, and
        /// its topic if it has one.
        case joined(RoomName, topic: String?)
        /// A private room the account is not invited to; nothing changed.
        case notInvited
        /// The room is new and the server has `limit` rooms already; nothing changed.
        case serverAtLimit(Int)
        /// The account is gone; the session ends.
        case noSuchAccount
    }

    // Read by the extensions (`Conversations+RoomOwners.swift`) too.
    let store: any RoomStore
    let accounts: any AccountStore
    let hub: Hub
    /// Off only to measure what storing costs (`Scripts/bench`): messages are then
    /// fanned out at once and never kept, though offline DMs still are.
    let storesMessages: Bool
    /// Changed by a reload (`messages.offline-queue-limit`); read once per offline DM.
    private let queueLimit: Atomic<Int>
    private let health: StoreHealth
    /// Where sessions' messages gather for one append per loop pass, fanned out a
    /// batch at a time on one loop; nil: each is appended on its own and fanned out
    /// from the store's callback.
    private let appenders: PerEventLoop<LoopAppender>?

    init(
        store: any RoomStore,
        accounts: any AccountStore,
        hub: Hub,
        storesMessages: Bool = true,
        offlineQueueLimit: Int = defaultOfflineQueueLimit,
        appenders: PerEventLoop<LoopAppender>? = nil,
        logger: Logger = Logger(label: "securechat")
    ) {
        self.store = store
        self.accounts = accounts
        self.hub = hub
        self.storesMessages = storesMessages
        self.queueLimit = Atomic(offlineQueueLimit)
        self.health = StoreHealth(logger: logger)
        self.appenders = appenders
    }

    /// How many direct messages may wait for one offline account.
    var offlineQueueLimit: Int {
        get { queueLimit.load(ordering: .relaxed) }
        set { queueLimit.store(newValue, ordering: .relaxed) }
    }

    // MARK: Membership

    /// The rooms `account` belongs to, as the store has them.
    func rooms(of account: AccountID, on eventLoop: EventLoop) -> EventLoopFuture<[RoomName]> {
        eventLoop.makeFutureWithNIOTask { [store] in try await store.rooms(of: account) }
    }

    /// Makes the account a member of `room` in the store, then in the hub.
    ///
    /// The cap on rooms is checked before the join, not in its transaction: joins that
    /// race to create rooms can pass it by at most their number, a bound as good for a
    /// cap against abuse and far cheaper than serializing every join.
    func join(_ room: RoomName, as session: SessionHandle, maxRooms: Int, on eventLoop: EventLoop) -> EventLoopFuture<JoinOutcome> {
        let account = session.credential.account
        return eventLoop.makeFutureWithNIOTask { [store, hub] in
            if room != .lobby, try await store.roomInfo(room) == nil, try await store.roomCount() >= maxRooms {
                return .serverAtLimit(maxRooms)
            }
            switch try await store.join(account, room: room) {
            case .created, .joined, .alreadyMember:
                let info = try await store.roomInfo(room)
                let name = info?.name ?? room
                hub.joined(name, account: account, user: session.user, by: session.id)
                return .joined(name, topic: info?.topic)
            case .notInvited:
                return .notInvited
            case .noSuchAccount:
                return .noSuchAccount
            }
        }
    }

    /// The room as the store has it, or nil when it does not exist.
    func roomInfo(_ room: RoomName, on eventLoop: EventLoop) -> EventLoopFuture<RoomInfo?> {
        eventLoop.makeFutureWithNIOTask { [store] in try await store.roomInfo(room) }
    }

    /// One `ROOMS` page for `account`: the public rooms and the private ones it may see.
    func roomsPage(for account: AccountID, after cursor: RoomName?, limit: Int, on eventLoop: EventLoop) -> EventLoopFuture<RoomPage> {
        eventLoop.makeFutureWithNIOTask { [store] in try await store.rooms(visibleTo: account, after: cursor, limit: limit) }
    }

    /// Ends the account's membership of `room` in the store, then in the hub. Returns
    /// the room's name as it was spelled.
    func leave(_ room: RoomName, as session: SessionHandle, on eventLoop: EventLoop) -> EventLoopFuture<RoomName> {
        let account = session.credential.account
        return eventLoop.makeFutureWithNIOTask { [store, hub] in
            try await store.leave(account, room: room)
            return hub.left(room, account: account, user: session.user, by: session.id)
        }
    }

    // MARK: Messages

    /// Stores a message to `room` (whose membership the caller checked), then fans it
    /// out. A failure is told to the sender, from the store's thread.
    func post(_ text: String, to room: RoomName, from session: SessionHandle) {
        guard storesMessages else {
            hub.deliver(text, to: room, from: session, stamp: nil)
            return
        }
        let (sentAt, time) = Self.now()
        let event = NewEvent(
            conversation: .room(room), sender: session.credential.account, senderName: session.user, text: text, sentAt: sentAt)
        append(event, on: session.eventLoop) { [hub, health] result in
            switch result {
            case .success(let id):
                health.stored()
                hub.deliver(text, to: room, from: session, stamp: EventStamp(id: id.rawValue, time: time))
            case .failure(let error):
                health.refused(error)
                session.send(.error(.notStored, "message not stored, so not sent; try again later"))
            }
        }
    }

    /// Stores a direct message (`text`, or an end-to-end `payload` when `sealed`) to
    /// `recipient` and hands it to their sessions, or queues it for their next login.
    func sendDirect(
        _ body: String,
        sealed: Bool,
        to recipient: UserName,
        from session: SessionHandle,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<DirectOutcome> {
        let event: ServerEvent =
            sealed ? .encryptedDirect(sender: session.user.display, payload: body) : .direct(sender: session.user.display, text: body)
        let kind: EventKind = sealed ? .sealedDirectMessage : .directMessage
        let sender = session.credential.account
        let (sentAt, time) = Self.now()
        // The sender's other sessions see what it sent (those that asked for ids), unless
        // it wrote to itself: then they get the DM itself.
        let showSent: @Sendable (UserName, EventStamp) -> Void = { [hub] recipient, stamp in
            guard recipient.key != session.user.key else { return }
            let sent: ServerEvent =
                sealed ? .encryptedDirectSent(recipient: recipient.display, payload: body) : .directSent(recipient: recipient.display, text: body)
            hub.deliverSent(sent, stamp: stamp, from: session)
        }

        if let online = hub.onlineAccount(named: recipient) {
            guard storesMessages else {
                if hub.deliverDirect(event, stamp: nil, to: online.account) {
                    return eventLoop.makeSucceededFuture(.delivered(online.name, nil))
                }
                return queue(event, kind: kind, body: body, sentAt: sentAt, time: time, to: recipient, from: session, on: eventLoop)
            }
            let stored = NewEvent(
                conversation: .direct(sender, online.account), kind: kind, sender: sender, senderName: session.user,
                body: Array(body.utf8), sentAt: sentAt)
            let promise = eventLoop.makePromise(of: DirectOutcome.self)
            append(stored, on: eventLoop) { [hub, store, health] result in
                switch result {
                case .success(let id):
                    health.stored()
                    let stamp = EventStamp(id: id.rawValue, time: time)
                    showSent(online.name, stamp)
                    guard !hub.deliverDirect(event, stamp: stamp, to: online.account) else {
                        promise.succeed(.delivered(online.name, stamp))
                        return
                    }
                    // Gone between the look-up and the commit: it waits for the next
                    // login like any message to someone offline.
                    promise.completeWithTask {
                        try await store.queueOffline(id, for: online.account)
                        return .queued(online.name, stamp)
                    }
                case .failure(let error):
                    health.refused(error)
                    promise.succeed(.notStored)
                }
            }
            return promise.futureResult
        }
        return queue(event, kind: kind, body: body, sentAt: sentAt, time: time, to: recipient, from: session, on: eventLoop).map { outcome in
            if case .queued(let name, let stamp) = outcome { showSent(name, stamp) }
            return outcome
        }
    }

    /// The offline path: the recipient's account from the store, then the message
    /// stored and queued in one transaction.
    private func queue(
        _ event: ServerEvent,
        kind: EventKind,
        body: String,
        sentAt: Date,
        time: EventTime,
        to recipient: UserName,
        from session: SessionHandle,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<DirectOutcome> {
        let offlineQueueLimit = offlineQueueLimit
        return earlierAppendsStored(on: eventLoop).flatMap { [store, accounts, health] in
            eventLoop.makeFutureWithNIOTask {
                guard let record = try await accounts.account(named: recipient) else { return .noSuchUser }
                let sender = session.credential.account
                let stored = NewEvent(
                    conversation: .direct(sender, record.credential.account), kind: kind, sender: sender, senderName: session.user,
                    body: Array(body.utf8), sentAt: sentAt)
                do {
                    switch try await store.enqueueOffline(stored, for: record.credential.account, limit: offlineQueueLimit) {
                    case .queued(let id):
                        health.stored()
                        return .queued(record.name, EventStamp(id: id.rawValue, time: time))
                    case .queueFull: return .mailboxFull
                    case .noSuchAccount: return .noSuchUser
                    }
                } catch {
                    health.refused(error)
                    return .notStored
                }
            }
        }
    }

    /// Succeeds once the messages sessions on `eventLoop` handed to the log so far are
    /// stored: a direct message that is stored another way must not overtake them.
    private func earlierAppendsStored(on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        guard let appenders else { return eventLoop.makeSucceededVoidFuture() }
        let promise = eventLoop.makePromise(of: Void.self)
        appenders.value(for: eventLoop).afterEarlierAppends { promise.succeed() }
        return promise.futureResult
    }

    /// The direct messages that waited for `account`, oldest first, as the lines a
    /// live one would have been, with their stamps; taken off the queue.
    func takeOffline(for account: AccountID, on eventLoop: EventLoop) -> EventLoopFuture<[(ServerEvent, EventStamp)]> {
        eventLoop.makeFutureWithNIOTask { [store] in
            try await store.takeOffline(for: account).map { event in
                let line: ServerEvent =
                    event.kind == .sealedDirectMessage
                    ? .encryptedDirect(sender: event.senderName.display, payload: String(decoding: event.body, as: UTF8.self))
                    : .direct(sender: event.senderName.display, text: String(decoding: event.body, as: UTF8.self))
                return (line, Self.stamp(of: event))
            }
        }
    }

    // MARK: History

    /// The newest `count` messages of `room`, oldest first, as `HISTORY` lines.
    func history(of room: RoomName, count: Int, on eventLoop: EventLoop) -> EventLoopFuture<[(ServerEvent, EventStamp)]> {
        eventLoop.makeFutureWithNIOTask { [store] in
            try await store.history(of: .room(room), before: nil, limit: count).events.map { event in
                let time = EventTime(millisecondsSince1970: Self.milliseconds(event.sentAt))
                let line = ServerEvent.history(
                    room: room.display, time: time, sender: event.senderName.display, text: event.text ?? "")
                return (line, EventStamp(id: event.id.rawValue, time: time))
            }
        }
    }

    /// Stores `event` with the others of this loop pass, or on its own; `stored` runs
    /// in the order of the ids, on the fan-out loop (or the store's thread). Call on
    /// `eventLoop`.
    private func append(_ event: NewEvent, on eventLoop: EventLoop, whenStored stored: @escaping LoopAppender.Stored) {
        if let appenders {
            appenders.value(for: eventLoop).append(event, whenStored: stored)
        } else {
            store.append([event]) { result in stored(result.map { $0[0] }) }
        }
    }

    // MARK: Time

    /// Now, cut to the whole millisecond the log keeps, as a `Date` and as wire time.
    static func now() -> (Date, EventTime) {
        let milliseconds = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        return (Date(timeIntervalSince1970: Double(milliseconds) / 1000), EventTime(millisecondsSince1970: milliseconds))
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func stamp(of event: StoredEvent) -> EventStamp {
        EventStamp(id: event.id.rawValue, time: EventTime(millisecondsSince1970: milliseconds(event.sentAt)))
    }
}
