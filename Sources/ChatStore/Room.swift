import ChatModel

/// A room as the store keeps it (see `RoomStore`).
public struct RoomInfo: Sendable, Equatable {
    /// Spelled as its creator typed it.
    public let name: RoomName
    /// Always an existing account: when the owner's account is deleted the room passes
    /// on or goes (see `RoomStore`), so a room is never ownerless.
    public let owner: AccountID
    /// Invite-only: only the owner and invited accounts can join.
    public let isPrivate: Bool
    /// Nil until the owner sets one (and after the owner clears it).
    public let topic: String?
    public let memberCount: Int

    public init(name: RoomName, owner: AccountID, isPrivate: Bool, topic: String?, memberCount: Int) {
        self.name = name
        self.owner = owner
        self.isPrivate = isPrivate
        self.topic = topic
        self.memberCount = memberCount
    }
}

/// A bounded page of rooms ordered by key, and whether more follow it.
public struct RoomPage: Sendable, Equatable {
    public let rooms: [RoomInfo]
    public let more: Bool

    public init(rooms: [RoomInfo], more: Bool) {
        self.rooms = rooms
        self.more = more
    }
}

/// One room and its members, for a server that mirrors membership in memory.
public struct RoomMembers: Sendable, Equatable {
    /// Spelled as its creator typed it.
    public let room: RoomName
    /// Ordered by id; empty for a private room nobody is in.
    public let members: [AccountID]

    public init(room: RoomName, members: [AccountID]) {
        self.room = room
        self.members = members
    }
}

/// What an owner's command (`invite`, `kick`, `setPrivate`, `setTopic`, `deleteRoom`)
/// did. A refused command changed nothing.
public enum OwnerActionResult: Sendable, Equatable {
    case done
    /// No room by that key exists (any more).
    case noSuchRoom
    /// The account giving the command does not own the room.
    case notOwner
    /// `invite` only: the invited account does not exist.
    case noSuchAccount
    /// `kick` only: the account was neither a member nor invited.
    case notMember
    /// `kick` only: the owner tried to kick itself; it can `leave` or `deleteRoom`.
    case cannotKickOwner
}
