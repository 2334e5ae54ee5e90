import ChatModel
import ChatProtocol
import ChatStore
import NIOCore
import NIOConcurrencyHelpers

/// Who is online and who is in which room; the one owner of that shared state.
///
/// The hub never waits on a client: it renders an event once, then hands the same
/// bytes to each recipient's event loop in one task per loop, and each session queues
/// them (bounded) on its own. The dispatch happens under the hub's lock, so every
/// loop's task queue receives a room's messages in the same order: all members see
/// one order, and one sender's messages never overtake each other.
final class Hub: Sendable {
    /// Caps on rooms and the size of one listing line (see `ServerConfiguration`).
    struct Limits: Sendable {
        var roomsPerAccount: Int
        var rooms: Int
        var namesPerLine: Int
    }

    /// What became of a `/join`.
    enum JoinOutcome: Equatable {
        /// Joined (or already in) the room, named as its creator spelled it.
        case joined(RoomName)
        /// The account is in `Limits.roomsPerAccount` rooms already.
        case accountAtLimit(Int)
        /// The server has `Limits.rooms` rooms already and this one is new.
        case serverAtLimit(Int)
    }

    /// How long a credential change is remembered for logins still in flight: longer
    /// than any password check takes, penalties included.
    static let recentChangeMemory: TimeAmount = .seconds(60)

    private let limits: Limits
    private let directory = NIOLockedValueBox(HubDirectory())
    private let allocator = ByteBufferAllocator()
    private let metrics: ServerMetrics?

    init(limits: Limits, metrics: ServerMetrics? = nil) {
        self.limits = limits
        self.metrics = metrics
    }

    // MARK: Presence

    /// Adds a logged-in session. Returns the account's status, adding nothing, when
    /// its credentials were changed after its password was checked: the caller ends it.
    ///
    /// Sessions of an earlier account with the same name (deleted, then re-created)
    /// are dropped at once and told their account is gone, so nothing addressed to the
    /// new account reaches them.
    func register(_ session: SessionHandle) -> AccountStatus? {
        directory.withLockedValue { directory in
            if let change = directory.recentChanges[session.credential.account], !change.status.admits(session.credential) {
                return change.status
            }
            if let sessions = directory.online[session.user.key],
                let previous = sessions.sessions.first(where: { _ in true })?.credential.account,
                previous != session.credential.account
            {
                sessions.forEach { $0.credentialsChanged(.deleted) }
                directory.online[session.user.key] = nil
                directory.onlineAccounts[previous] = nil
            }
            _ = directory.online[session.user.key, default: SessionGroups()].insert(session)
            directory.onlineAccounts[session.credential.account] = session.user.key
            return nil
        }
    }

    /// Removes a session that is going away: it leaves `rooms` (the others there see
    /// `LEAVE`) and stops receiving DMs.
    func unregister(_ session: SessionHandle, rooms: [RoomName]) {
        let notices = rooms.map { ServerEvent.left(room: $0.display, user: session.user.display).rendered(allocator: allocator) }
        directory.withLockedValue { directory in
            for (room, notice) in zip(rooms, notices) {
                Self.remove(session, from: room, in: &directory)?.dispatch(notice)
            }
            guard directory.online[session.user.key]?.remove(session.id) == true else { return }
            if directory.online[session.user.key]?.isEmpty == true {
                directory.online[session.user.key] = nil
                directory.onlineAccounts[session.credential.account] = nil
            }
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

    /// Forgets credential changes older than `recentChangeMemory`.
    func forgetOldCredentialChanges(now: NIODeadline = .now()) {
        directory.withLockedValue { directory in
            directory.recentChanges = directory.recentChanges.filter { now - $0.value.seen < Self.recentChangeMemory }
        }
    }

    // MARK: Rooms

    /// Joins `room`, creating it if needed; the other members see `JOIN`. Returns the
    /// room's name as its creator spelled it. Checks no cap: it is for `#lobby` at
    /// login, which the caps leave out so that a login never fails on them; `/join`
    /// goes through `joinWithinLimits`.
    func join(_ room: RoomName, _ session: SessionHandle) -> RoomName {
        directory.withLockedValue { Self.join(room, session, in: &$0, allocator: allocator) }
    }

    /// Joins `room` like `join`, unless that would put the session's account in more
    /// than `Limits.roomsPerAccount` rooms or create a room past `Limits.rooms`; then
    /// nothing changes. A room the account is in already (through any of its
    /// sessions) and `#lobby` are always allowed. Checked under the lock that
    /// joins, so concurrent joins cannot both squeeze under a cap.
    func joinWithinLimits(_ room: RoomName, _ session: SessionHandle) -> JoinOutcome {
        directory.withLockedValue { directory in
            if room != .lobby, !directory.account(session.user, isIn: room) {
                if directory.roomCount(of: session.user) >= limits.roomsPerAccount {
                    return .accountAtLimit(limits.roomsPerAccount)
                }
                if directory.rooms[room.key] == nil, directory.countedRooms >= limits.rooms {
                    return .serverAtLimit(limits.rooms)
                }
            }
            return .joined(Self.join(room, session, in: &directory, allocator: allocator))
        }
    }

    private static func join(
        _ room: RoomName,
        _ session: SessionHandle,
        in directory: inout HubDirectory,
        allocator: ByteBufferAllocator
    ) -> RoomName {
        // Mutating through the `default:` subscript works in place, so a join
        // never copies the member arrays (a 10,000-member room stays cheap).
        let (name, added) = Self.add(session, to: &directory.rooms[room.key, default: HubDirectory.Room(name: room)], allocator: allocator)
        if added {
            directory.recordJoin(session.user, room)
        }
        return name
    }

    /// Returns the room's name and whether the session was not in it before.
    private static func add(
        _ session: SessionHandle,
        to room: inout HubDirectory.Room,
        allocator: ByteBufferAllocator
    ) -> (RoomName, added: Bool) {
        guard !room.members.contains(session.id) else { return (room.name, false) }
        if !room.members.isEmpty {
            // The creator's spelling is the room's; render with it.
            let notice = ServerEvent.joined(room: room.name.display, user: session.user.display)
            room.members.dispatch(notice.rendered(allocator: allocator))
        }
        room.members.insert(session)
        return (room.name, true)
    }

    /// Leaves `room`; the other members see `LEAVE`.
    func leave(_ room: RoomName, _ session: SessionHandle) {
        directory.withLockedValue { directory in
            let name = directory.rooms[room.key]?.name ?? room
            guard let others = Self.remove(session, from: room, in: &directory), !others.isEmpty else { return }
            let notice = ServerEvent.left(room: name.display, user: session.user.display)
            others.dispatch(notice.rendered(allocator: allocator))
        }
    }

    /// The room as it exists now (creator's spelling), or nil.
    func existingRoom(_ room: RoomName) -> RoomName? {
        directory.withLockedValue { $0.rooms[room.key]?.name }
    }

    /// Sends `text` from `session` to every *other* member of `room`.
    func post(_ text: String, to room: RoomName, from session: SessionHandle) {
        directory.withLockedValue { directory in
            guard let entry = directory.rooms[room.key] else { return }
            let event = ServerEvent.message(room: entry.name.display, sender: session.user.display, text: text)
            entry.members.dispatch(event.rendered(allocator: allocator), excluding: session.id)
            if let metrics {
                // Once per post, whatever the room's size: two atomic adds.
                metrics.roomMessages.increment()
                metrics.deliveries.increment(by: Int64(entry.members.count - (entry.members.contains(session.id) ? 1 : 0)))
            }
        }
    }

    /// One `ROOMS` line: the rooms whose key sorts after `cursor` (a `RoomName.key`).
    ///
    /// Only the copy happens under the lock; picking and ordering the page happen
    /// after, so a listing never holds up the messages of every room.
    func roomsPage(after cursor: String?) -> NamePage {
        let rooms = directory.withLockedValue { $0.rooms.values.map(\.name) }
        return NamePage(rooms, after: cursor, limit: limits.namesPerLine)
    }

    /// The room's name and one `USERS` line of its members: each user once, those
    /// whose key sorts after `cursor` (a `UserName.key`). Nil if the room does not
    /// exist. As with `roomsPage`, only the copy happens under the lock.
    func membersPage(of room: RoomName, after cursor: String?) -> (room: RoomName, page: NamePage)? {
        let snapshot = directory.withLockedValue { directory -> (name: RoomName, users: [UserName])? in
            guard let entry = directory.rooms[room.key] else { return nil }
            return (entry.name, entry.members.sessions.map(\.user))
        }
        guard let snapshot else { return nil }
        return (snapshot.name, NamePage(snapshot.users, after: cursor, limit: limits.namesPerLine))
    }

    // MARK: Direct messages

    /// Sends a direct message event (`DM` or `EDM`) to every session of `user`.
    /// Returns the recipient's name as the account spells it, or nil if the user has
    /// no session.
    func sendDirect(_ event: ServerEvent, to user: UserName) -> UserName? {
        let bytes = event.rendered(allocator: allocator)
        return directory.withLockedValue { directory in
            guard let sessions = directory.online[user.key], let first = sessions.sessions.first(where: { _ in true }) else {
                return nil
            }
            sessions.dispatch(bytes)
            if let metrics {
                if case .encryptedDirect = event {
                    metrics.encryptedDirectMessages.increment()
                } else {
                    metrics.directMessages.increment()
                }
                metrics.deliveries.increment(by: Int64(sessions.count))
            }
            return first.user
        }
    }

    /// Removes `session` from `room`; returns the members left, or nil if it was not in.
    private static func remove(
        _ session: SessionHandle,
        from room: RoomName,
        in directory: inout HubDirectory
    ) -> SessionGroups? {
        guard directory.rooms[room.key]?.members.remove(session.id) == true,
            let members = directory.rooms[room.key]?.members
        else {
            return nil
        }
        directory.recordLeave(session.user, room)
        if members.isEmpty {
            directory.rooms[room.key] = nil
        }
        return members
    }
}
