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
    private struct Room {
        let name: RoomName
        var members = SessionGroups()
    }

    private struct Directory {
        /// Keyed by `RoomName.key`. A room exists while it has members.
        var rooms: [String: Room] = [:]
        /// Keyed by `UserName.key`; every connected session of that user.
        var online: [String: SessionGroups] = [:]
        /// Which user key each online account is under: one account per name at a
        /// time, since a name is only re-created after its account is deleted.
        var onlineAccounts: [AccountID: String] = [:]
        /// Credential changes seen lately, so that a login whose password check raced
        /// with a change is refused when it arrives (see `register`).
        var recentChanges: [AccountID: (status: AccountStatus, seen: NIODeadline)] = [:]
    }

    /// How long a credential change is remembered for logins still in flight: longer
    /// than any password check takes, penalties included.
    static let recentChangeMemory: TimeAmount = .seconds(60)

    private let directory = NIOLockedValueBox(Directory())
    private let allocator = ByteBufferAllocator()

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
    /// room's name as its creator spelled it.
    func join(_ room: RoomName, _ session: SessionHandle) -> RoomName {
        directory.withLockedValue { directory in
            // Mutating through the `default:` subscript works in place, so a join
            // never copies the member arrays (a 10,000-member room stays cheap).
            Self.add(session, to: &directory.rooms[room.key, default: Room(name: room)], allocator: allocator)
        }
    }

    private static func add(_ session: SessionHandle, to room: inout Room, allocator: ByteBufferAllocator) -> RoomName {
        if !room.members.contains(session.id) {
            if !room.members.isEmpty {
                // The creator's spelling is the room's; render with it.
                let notice = ServerEvent.joined(room: room.name.display, user: session.user.display)
                room.members.dispatch(notice.rendered(allocator: allocator))
            }
            room.members.insert(session)
        }
        return room.name
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
        }
    }

    /// All rooms, sorted.
    func roomNames() -> [String] {
        directory.withLockedValue { $0.rooms.values.map(\.name.display) }.sorted { $0.lowercased() < $1.lowercased() }
    }

    /// The room's name and its members' user names (each once, sorted), or nil if the
    /// room does not exist.
    func members(of room: RoomName) -> (room: RoomName, users: [String])? {
        directory.withLockedValue { directory -> (RoomName, [String])? in
            guard let entry = directory.rooms[room.key] else { return nil }
            var seen = Set<String>()
            let users = entry.members.sessions.compactMap { seen.insert($0.user.key).inserted ? $0.user.display : nil }
            return (entry.name, users.sorted { $0.lowercased() < $1.lowercased() })
        }
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
            return first.user
        }
    }

    /// Removes `session` from `room`; returns the members left, or nil if it was not in.
    private static func remove(
        _ session: SessionHandle,
        from room: RoomName,
        in directory: inout Directory
    ) -> SessionGroups? {
        guard directory.rooms[room.key]?.members.remove(session.id) == true,
            let members = directory.rooms[room.key]?.members
        else {
            return nil
        }
        if members.isEmpty {
            directory.rooms[room.key] = nil
        }
        return members
    }
}
