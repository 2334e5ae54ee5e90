import ChatProtocol
import ChatStore
import NIOCore
import Synchronization

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
        var members: [SessionID: SessionHandle] = [:]
    }

    private struct Directory {
        /// Keyed by `RoomName.key`. A room exists while it has members.
        var rooms: [String: Room] = [:]
        /// Keyed by `UserName.key`; one entry per connected session of that user.
        var online: [String: [SessionID: SessionHandle]] = [:]
    }

    private let directory = Mutex(Directory())
    private let allocator = ByteBufferAllocator()

    // MARK: Presence

    func register(_ session: SessionHandle) {
        directory.withLock { $0.online[session.user.key, default: [:]][session.id] = session }
    }

    /// Removes a session that is going away: it leaves `rooms` (the others there see
    /// `LEAVE`) and stops receiving DMs.
    func unregister(_ session: SessionHandle, rooms: [RoomName]) {
        let notices = rooms.map { ServerEvent.left(room: $0.display, user: session.user.display).rendered(allocator: allocator) }
        directory.withLock { directory in
            for (room, notice) in zip(rooms, notices) {
                guard let others = Self.remove(session, from: room, in: &directory) else { continue }
                Self.dispatch(notice, to: others)
            }
            directory.online[session.user.key]?[session.id] = nil
            if directory.online[session.user.key]?.isEmpty == true {
                directory.online[session.user.key] = nil
            }
        }
    }

    // MARK: Rooms

    /// Joins `room`, creating it if needed; the other members see `JOIN`. Returns the
    /// room's name as its creator spelled it.
    func join(_ room: RoomName, _ session: SessionHandle) -> RoomName {
        directory.withLock { directory in
            var entry = directory.rooms[room.key] ?? Room(name: room)
            if entry.members[session.id] == nil {
                if !entry.members.isEmpty {
                    // The creator's spelling is the room's; render with it.
                    let notice = ServerEvent.joined(room: entry.name.display, user: session.user.display)
                    Self.dispatch(notice.rendered(allocator: allocator), to: entry.members.values)
                }
                entry.members[session.id] = session
            }
            directory.rooms[room.key] = entry
            return entry.name
        }
    }

    /// Leaves `room`; the other members see `LEAVE`.
    func leave(_ room: RoomName, _ session: SessionHandle) {
        directory.withLock { directory in
            let name = directory.rooms[room.key]?.name ?? room
            guard let others = Self.remove(session, from: room, in: &directory), !others.isEmpty else { return }
            let notice = ServerEvent.left(room: name.display, user: session.user.display)
            Self.dispatch(notice.rendered(allocator: allocator), to: others)
        }
    }

    /// The room as it exists now (creator's spelling), or nil.
    func existingRoom(_ room: RoomName) -> RoomName? {
        directory.withLock { $0.rooms[room.key]?.name }
    }

    /// Sends `text` from `session` to every *other* member of `room`.
    func post(_ text: String, to room: RoomName, from session: SessionHandle) {
        directory.withLock { directory in
            guard let entry = directory.rooms[room.key] else { return }
            let event = ServerEvent.message(room: entry.name.display, sender: session.user.display, text: text)
            let bytes = event.rendered(allocator: allocator)
            Self.dispatch(bytes, to: entry.members.values.lazy.filter { $0.id != session.id })
        }
    }

    /// All rooms, sorted.
    func roomNames() -> [String] {
        directory.withLock { $0.rooms.values.map(\.name.display) }.sorted { $0.lowercased() < $1.lowercased() }
    }

    /// The room's name and its members' user names (each once, sorted), or nil if the
    /// room does not exist.
    func members(of room: RoomName) -> (room: RoomName, users: [String])? {
        directory.withLock { directory -> (RoomName, [String])? in
            guard let entry = directory.rooms[room.key] else { return nil }
            var seen = Set<String>()
            let users = entry.members.values.compactMap { seen.insert($0.user.key).inserted ? $0.user.display : nil }
            return (entry.name, users.sorted { $0.lowercased() < $1.lowercased() })
        }
    }

    // MARK: Direct messages

    /// Sends a direct message event (`DM` or `EDM`) to every session of `user`.
    /// Returns the recipient's name as the account spells it, or nil if the user has
    /// no session.
    func sendDirect(_ event: ServerEvent, to user: UserName) -> UserName? {
        let bytes = event.rendered(allocator: allocator)
        return directory.withLock { directory in
            guard let sessions = directory.online[user.key], let first = sessions.values.first else { return nil }
            Self.dispatch(bytes, to: sessions.values)
            return first.user
        }
    }

    // MARK: Fan-out

    /// Removes `session` from `room`; returns the members left, or nil if it was not in.
    private static func remove(
        _ session: SessionHandle,
        from room: RoomName,
        in directory: inout Directory
    ) -> [SessionHandle]? {
        guard var entry = directory.rooms[room.key], entry.members.removeValue(forKey: session.id) != nil else {
            return nil
        }
        if entry.members.isEmpty {
            directory.rooms[room.key] = nil
        } else {
            directory.rooms[room.key] = entry
        }
        return Array(entry.members.values)
    }

    /// Hands `bytes` to each recipient on its own event loop: one task per loop, not
    /// per recipient. Call with the lock held (see the type's comment on ordering).
    private static func dispatch(_ bytes: ByteBuffer, to recipients: some Sequence<SessionHandle>) {
        var batches: [(loop: EventLoop, sessions: [SessionHandle])] = []
        for session in recipients {
            if let index = batches.firstIndex(where: { $0.loop === session.eventLoop }) {
                batches[index].sessions.append(session)
            } else {
                batches.append((session.eventLoop, [session]))
            }
        }
        for batch in batches {
            let sessions = batch.sessions
            batch.loop.execute {
                for session in sessions { session.deliver(bytes) }
            }
        }
    }
}
