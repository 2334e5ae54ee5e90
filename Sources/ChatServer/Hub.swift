import ChatModel
import ChatProtocol
import ChatStore
import NIOCore
import NIOConcurrencyHelpers

/// Who is online, which rooms their accounts are in, and fan-out to them; the one
/// owner of that shared state on this server.
///
/// The hub never waits on a client: it renders an event once, then hands the same
/// bytes to each recipient's event loop in one task per loop, and each session queues
/// them (bounded) on its own. The dispatch happens under the hub's lock, so every
/// loop's task queue receives a room's messages in the same order: all members see
/// one order. Stored messages reach the hub in the order of their ids (see
/// `ConversationStore.append(_:whenStored:)`), so that order is the log's.
///
/// The hub holds only this server's sessions and the memberships of their accounts;
/// the store is the truth about membership (see `HubDirectory`).
final class Hub: Sendable {
    /// Caps on rooms and the size of one listing line (see `ServerConfiguration`).
    struct Limits: Sendable {
        var roomsPerAccount: Int
        var rooms: Int
        var namesPerLine: Int
    }

    /// Whether a `/join` may go ahead.
    enum JoinCheck: Equatable {
        /// The account is in the room already, named as its creator spelled it.
        case alreadyMember(RoomName)
        case allowed
        /// The account is in `Limits.roomsPerAccount` rooms already.
        case accountAtLimit(Int)
    }

    /// How long a credential change is remembered for logins still in flight: longer
    /// than any password check takes, penalties included.
    static let recentChangeMemory: TimeAmount = .seconds(60)

    let limits: Limits
    /// Touched only by the hub and its extensions (`Hub+RoomOwners.swift`).
    let directory = NIOLockedValueBox(HubDirectory())
    let allocator = ByteBufferAllocator()
    private let metrics: ServerMetrics?

    init(limits: Limits, metrics: ServerMetrics? = nil) {
        self.limits = limits
        self.metrics = metrics
    }

    // MARK: Presence

    /// Adds a logged-in session to every room of its account, telling no one: a login
    /// changes no membership. `rooms` are the account's rooms as the store had them;
    /// a second session of an account that is online already uses the hub's copy.
    /// Returns the account's status, adding nothing, when its credentials were changed
    /// after its password was checked: the caller ends it.
    ///
    /// Sessions of an earlier account with the same name (deleted, then re-created)
    /// are dropped at once and told their account is gone, so nothing addressed to the
    /// new account reaches them.
    func register(_ session: SessionHandle, rooms: [RoomName]) -> AccountStatus? {
        directory.withLockedValue { directory in Self.register(session, rooms: rooms, in: &directory) }
    }

    /// `register(_:rooms:)` under the lock, for `register(_:prefetched:)` too.
    static func register(_ session: SessionHandle, rooms: [RoomName], in directory: inout HubDirectory) -> AccountStatus? {
        let account = session.credential.account
        if let change = directory.recentChanges[account], !change.status.admits(session.credential) {
            return change.status
        }
        if let sessions = directory.online[session.user.key],
            let previous = sessions.sessions.first(where: { _ in true })?.credential.account,
            previous != account
        {
            sessions.forEach { $0.credentialsChanged(.deleted) }
            for session in sessions.sessions {
                Self.detach(session, in: &directory)
            }
            directory.online[session.user.key] = nil
            directory.onlineAccounts[previous] = nil
            directory.memberships[previous] = nil
        }
        if directory.memberships[account] == nil {
            // Rooms read before a kick or drop that the hub has seen since: gone.
            let current = rooms.filter { !directory.wasRecentlyRemoved(account, from: $0) }
            directory.memberships[account] = Dictionary(current.map { ($0.key, directory.rooms[$0.key]?.name ?? $0) }) { first, _ in first }
        }
        for room in directory.memberships[account, default: [:]].values {
            directory.attach(session, to: room)
        }
        _ = directory.online[session.user.key, default: SessionGroups()].insert(session)
        directory.onlineAccounts[account] = session.user.key
        return nil
    }

    /// Removes a session that is going away. Its account stays in its rooms and
    /// nobody is told: membership belongs to the account, not the connection.
    func unregister(_ session: SessionHandle) {
        directory.withLockedValue { directory in
            guard directory.online[session.user.key]?.contains(session.id) == true else { return }
            Self.detach(session, in: &directory)
            directory.online[session.user.key]?.remove(session.id)
            if directory.online[session.user.key]?.isEmpty == true {
                directory.online[session.user.key] = nil
                directory.onlineAccounts[session.credential.account] = nil
                directory.memberships[session.credential.account] = nil
            }
        }
    }

    private static func detach(_ session: SessionHandle, in directory: inout HubDirectory) {
        for room in directory.memberships[session.credential.account, default: [:]].values {
            directory.detach(session.id, from: room)
        }
    }

    /// An account's credentials changed (`status` is how it is now): every session of
    /// it hears so on its own loop and ends unless its credentials are still current.
    func credentialsChanged(_ account: AccountID, _ status: AccountStatus, now: NIODeadline = .now()) {
        directory.withLockedValue { directory in
            directory.recentChanges[account] = (status, now)
            guard let key = directory.onlineAccounts[account] else { return }
            directory.online[key]?.forEach { $0.credentialsChanged(status) }
        }
    }

    /// Forgets credential changes and membership removals older than
    /// `recentChangeMemory`.
    func forgetOldChanges(now: NIODeadline = .now()) {
        directory.withLockedValue { directory in
            directory.recentChanges = directory.recentChanges.filter { now - $0.value.seen < Self.recentChangeMemory }
            directory.forgetRemovals(before: now - Self.recentChangeMemory)
        }
    }

    /// The account of the online user `user` and its name as the account spells it;
    /// nil when no session of it is here.
    /// A miss is remembered: the caller queues the message for the next login, which
    /// may have read the store's queue already (`HubDirectory.recentOfflineLookups`).
    func onlineAccount(named user: UserName, now: NIODeadline = .now()) -> (account: AccountID, name: UserName)? {
        directory.withLockedValue { directory in
            guard let session = directory.online[user.key]?.sessions.first(where: { _ in true }) else {
                directory.recentOfflineLookups[user.key] = now
                return nil
            }
            return (session.credential.account, session.user)
        }
    }

    // MARK: Membership

    /// The rooms of an online account, in key order.
    func rooms(of account: AccountID) -> [RoomName] {
        directory.withLockedValue { $0.memberships[account].map { Array($0.values) } ?? [] }.sorted { $0.key < $1.key }
    }

    /// The room as the account's membership names it, or nil when it is not a member.
    func room(_ room: RoomName, ifMemberIs account: AccountID) -> RoomName? {
        directory.withLockedValue { $0.memberships[account]?[room.key] }
    }

    /// Whether `account` may join `room` as far as its own cap goes. The store decides
    /// the rest (a private room, the server's cap) when it records the membership.
    func checkJoin(_ room: RoomName, by account: AccountID) -> JoinCheck {
        directory.withLockedValue { directory in
            if let name = directory.memberships[account]?[room.key] { return .alreadyMember(name) }
            if room != .lobby, directory.countedRooms(of: account) >= limits.roomsPerAccount {
                return .accountAtLimit(limits.roomsPerAccount)
            }
            return .allowed
        }
    }

    /// The store made `account` a member of `room` (spelled `name`): all its sessions
    /// here join the fan-out, and the room's other sessions see `JOIN` (so do the
    /// account's other sessions, whose clients learn of the room that way). `session`,
    /// which asked, is answered by the caller.
    func joined(_ name: RoomName, account: AccountID, user: UserName, by session: SessionID, now: NIODeadline = .now()) {
        let notice = Delivery(ServerEvent.joined(room: name.display, user: user.display).rendered(allocator: allocator))
        directory.withLockedValue { directory in
            directory.rejoined(account, name)
            directory.recentMembershipChanges[account] = now
            guard directory.memberships[account] != nil, directory.memberships[account]?[name.key] == nil else { return }
            directory.memberships[account]?[name.key] = name
            if let sessions = directory.online[user.key] {
                for member in sessions.sessions {
                    directory.attach(member, to: name)
                }
            }
            directory.rooms[name.key]?.sessions.dispatch(notice, excluding: session)
        }
    }

    /// The store ended `account`'s membership of `room`: its sessions here leave the
    /// fan-out, and the room's other sessions and the account's other sessions see
    /// `LEAVE`. Returns the room's name as it was spelled here.
    @discardableResult
    func left(_ room: RoomName, account: AccountID, user: UserName, by session: SessionID, now: NIODeadline = .now()) -> RoomName {
        directory.withLockedValue { directory in
            directory.recentMembershipChanges[account] = now
            guard let name = directory.memberships[account]?.removeValue(forKey: room.key) else { return room }
            let notice = Delivery(ServerEvent.left(room: name.display, user: user.display).rendered(allocator: allocator))
            let own = directory.online[user.key]
            for member in own?.sessions.map(\.id) ?? [] {
                directory.detach(member, from: name)
            }
            directory.rooms[name.key]?.sessions.dispatch(notice)
            own?.dispatch(notice, excluding: session)
            return name
        }
    }

    // MARK: Messages

    /// Hands a stored room message to every session in `room` but the sender's, and
    /// acknowledges it to the sender. Called in the log's order (from the store's
    /// `whenStored`), or at once when messages are not stored (`stamp` nil).
    func deliver(_ text: String, to room: RoomName, from sender: SessionHandle, stamp: EventStamp?) {
        directory.withLockedValue { directory in
            guard let entry = directory.rooms[room.key] else { return }
            let event = ServerEvent.message(room: entry.name.display, sender: sender.user.display, text: text)
            let acknowledgement = stamp.map {
                StoredAcknowledgement(stamp: $0, command: ClientCommand.Kind.say.rawValue, details: entry.name.display)
            }
            let senderIsHere = entry.sessions.contains(sender.id)
            entry.sessions.dispatch(
                Delivery(event, stamp: stamp, allocator: allocator), excluding: sender.id,
                acknowledgement: senderIsHere ? acknowledgement : nil)
            if !senderIsHere, let acknowledgement {
                // Left the room (another of its account's sessions left it) while the
                // message was being stored: told on its own.
                sender.acknowledgeStored(acknowledgement.stamp, command: acknowledgement.command, details: acknowledgement.details)
            }
            if let metrics {
                // Once per post, whatever the room's size: two atomic adds.
                metrics.roomMessages.increment()
                metrics.deliveries.increment(by: Int64(entry.sessions.count - (entry.sessions.contains(sender.id) ? 1 : 0)))
            }
        }
    }

    /// Hands a direct message event (`DM` or `EDM`) to every session of `account`.
    /// Returns false, delivering nothing, when it has none here; the caller then
    /// queues it, and the miss is remembered as in `onlineAccount(named:)`.
    func deliverDirect(_ event: ServerEvent, stamp: EventStamp?, to account: AccountID, now: NIODeadline = .now()) -> Bool {
        let delivery = Delivery(event, stamp: stamp, allocator: allocator)
        return directory.withLockedValue { directory in
            guard let key = directory.onlineAccounts[account], let sessions = directory.online[key], !sessions.isEmpty else {
                directory.recentMissedDeliveries[account] = now
                return false
            }
            sessions.dispatch(delivery)
            if let metrics {
                if case .encryptedDirect = event {
                    metrics.encryptedDirectMessages.increment()
                } else {
                    metrics.directMessages.increment()
                }
                metrics.deliveries.increment(by: Int64(sessions.count))
            }
            return true
        }
    }

    /// Shows a direct message the account sent (`DMSENT`/`EDMSENT`, stamped) to its
    /// other sessions here that asked for `ids`, so a second device sees what the first
    /// one sent; sessions that did not ask get nothing new.
    func deliverSent(_ event: ServerEvent, stamp: EventStamp, from sender: SessionHandle) {
        let delivery = Delivery(stampedOnly: event, stamp: stamp, allocator: allocator)
        directory.withLockedValue { directory in
            directory.online[sender.user.key]?.dispatch(delivery, excluding: sender.id)
        }
    }

    // MARK: Listings

    /// The room as it exists here now (creator's spelling), or nil.
    func existingRoom(_ room: RoomName) -> RoomName? {
        directory.withLockedValue { $0.rooms[room.key]?.name }
    }

    /// The most names one `ROOMS` or `USERS` line holds.
    var namesPerLine: Int { limits.namesPerLine }
    /// The most rooms besides `#lobby` (checked by `Conversations.join`).
    var maxRooms: Int { limits.rooms }

    /// The room's name and one `USERS` line of its members who are online: each user
    /// once, those whose key sorts after `cursor` (a `UserName.key`). Nil if no member
    /// is online. As with `roomsPage`, only the copy happens under the lock.
    func membersPage(of room: RoomName, after cursor: String?) -> (room: RoomName, page: NamePage)? {
        let snapshot = directory.withLockedValue { directory -> (name: RoomName, users: [UserName])? in
            guard let entry = directory.rooms[room.key] else { return nil }
            return (entry.name, entry.sessions.sessions.map(\.user))
        }
        guard let snapshot else { return nil }
        return (snapshot.name, NamePage(snapshot.users, after: cursor, limit: limits.namesPerLine))
    }
}
