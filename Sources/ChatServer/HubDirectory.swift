import ChatModel
import ChatProtocol
import ChatStore
import NIOCore

/// The hub's shared state, owned by `Hub` and changed only under its lock: rooms,
/// who is online, and what the account caps and credential changes need.
struct HubDirectory {
    struct Room {
        let name: RoomName
        var members = SessionGroups()
    }

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

    /// Keyed by `UserName.key`, then `RoomName.key`: how many of the account's
    /// sessions are in each room it is in, so the per-account cap counts a room
    /// once however many of its sessions joined it. `#lobby` is left out, as the
    /// caps leave it out.
    var accountRooms: [String: [String: Int]] = [:]

    /// Rooms that count against `Limits.rooms`: all but the lobby.
    var countedRooms: Int {
        rooms.count - (rooms[RoomName.lobby.key] == nil ? 0 : 1)
    }

    func account(_ user: UserName, isIn room: RoomName) -> Bool {
        accountRooms[user.key]?[room.key] != nil
    }

    func roomCount(of user: UserName) -> Int {
        accountRooms[user.key]?.count ?? 0
    }

    mutating func recordJoin(_ user: UserName, _ room: RoomName) {
        guard room != .lobby else { return }
        accountRooms[user.key, default: [:]][room.key, default: 0] += 1
    }

    mutating func recordLeave(_ user: UserName, _ room: RoomName) {
        guard room != .lobby, let sessions = accountRooms[user.key]?[room.key] else { return }
        if sessions > 1 {
            accountRooms[user.key]?[room.key] = sessions - 1
        } else {
            accountRooms[user.key]?[room.key] = nil
            if accountRooms[user.key]?.isEmpty == true {
                accountRooms[user.key] = nil
            }
        }
    }
}
