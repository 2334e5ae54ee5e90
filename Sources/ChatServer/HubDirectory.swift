import ChatModel
import ChatProtocol
import ChatStore
import NIOCore

/// The hub's shared state, owned by `Hub` and changed only under its lock: who is
/// online, the memberships of the accounts that are, and the online sessions of
/// every room, for fan-out.
///
/// Membership belongs to accounts and lives in the store; this is a mirror of it for
/// the accounts that have a session here, loaded when the first session of an account
/// logs in and dropped when its last one goes. Changes go through the store first
/// and then here, so the mirror of an online account is what the store holds.
struct HubDirectory {
    struct Room {
        /// As the room is spelled on the wire (its creator's spelling).
        let name: RoomName
        /// The online sessions of its member accounts.
        var sessions = SessionGroups()
    }

    /// Keyed by `RoomName.key`; a room is here while a session of a member is online.
    var rooms: [String: Room] = [:]
    /// Keyed by `UserName.key`; every connected session of that user.
    var online: [String: SessionGroups] = [:]
    /// Which user key each online account is under: one account per name at a
    /// time, since a name is only re-created after its account is deleted.
    var onlineAccounts: [AccountID: String] = [:]
    /// The rooms of each online account, by `RoomName.key`.
    var memberships: [AccountID: [String: RoomName]] = [:]
    /// Credential changes seen lately, so that a login whose password check raced
    /// with a change is refused when it arrives (see `register`).
    var recentChanges: [AccountID: (status: AccountStatus, seen: NIODeadline)] = [:]
    /// Memberships a kick (by account, then room key) or a drop (by room key) ended
    /// lately. A login reads its account's rooms from the store before it registers
    /// here; one that read them just before such a change must not be given the room
    /// back, which would let a kicked account go on reading a private room. A join
    /// by the account (or, for a drop, by anyone: the room is new) clears the mark.
    var recentKicks: [AccountID: [String: NIODeadline]] = [:]
    var recentDrops: [String: NIODeadline] = [:]
    /// When an account here last joined or left a room itself. A login whose rooms
    /// were read before that, with no other session of its account here to take them
    /// from, reads them again (see `Hub.register(_:prefetched:)`).
    var recentMembershipChanges: [AccountID: NIODeadline] = [:]
    /// Direct messages lately found no session here: by the recipient's name key when
    /// the sender looked it up, by account when the recipient went between the look-up
    /// and the delivery. Either may have queued a message for the next login after
    /// that login's read of the store, so such a login takes its queue whatever the
    /// read said.
    var recentOfflineLookups: [String: NIODeadline] = [:]
    var recentMissedDeliveries: [AccountID: NIODeadline] = [:]

    func account(_ account: AccountID, isIn room: RoomName) -> Bool {
        memberships[account]?[room.key] != nil
    }

    /// The rooms `account` is in besides `#lobby`, which the caps leave out.
    func countedRooms(of account: AccountID) -> Int {
        guard let rooms = memberships[account] else { return 0 }
        return rooms.count - (rooms[RoomName.lobby.key] == nil ? 0 : 1)
    }

    func wasRecentlyRemoved(_ account: AccountID, from room: RoomName) -> Bool {
        recentDrops[room.key] != nil || recentKicks[account]?[room.key] != nil
    }

    /// `account` joined `room` through the store after any kick or drop seen here.
    mutating func rejoined(_ account: AccountID, _ room: RoomName) {
        recentDrops[room.key] = nil
        recentKicks[account]?[room.key] = nil
        if recentKicks[account]?.isEmpty == true { recentKicks[account] = nil }
    }

    /// Whether a direct message may have been queued for `account` (`user`) since
    /// a read of the store made at most `Hub.recentChangeMemory` ago.
    func mayHaveQueuedDirectMessages(for account: AccountID, named user: UserName) -> Bool {
        recentOfflineLookups[user.key] != nil || recentMissedDeliveries[account] != nil
    }

    mutating func forgetRemovals(before cutoff: NIODeadline) {
        recentMembershipChanges = recentMembershipChanges.filter { $0.value >= cutoff }
        recentOfflineLookups = recentOfflineLookups.filter { $0.value >= cutoff }
        recentMissedDeliveries = recentMissedDeliveries.filter { $0.value >= cutoff }
        recentDrops = recentDrops.filter { $0.value >= cutoff }
        recentKicks = recentKicks.compactMapValues { rooms in
            let kept = rooms.filter { $0.value >= cutoff }
            return kept.isEmpty ? nil : kept
        }
    }

    /// Adds `session` to `room`'s fan-out, creating the entry named `name` if needed.
    mutating func attach(_ session: SessionHandle, to name: RoomName) {
        rooms[name.key, default: Room(name: name)].sessions.insert(session)
    }

    /// Removes `session` from `room`'s fan-out; the entry goes with its last session.
    mutating func detach(_ session: SessionID, from room: RoomName) {
        guard rooms[room.key]?.sessions.remove(session) == true else { return }
        if rooms[room.key]?.sessions.isEmpty == true {
            rooms[room.key] = nil
        }
    }
}
