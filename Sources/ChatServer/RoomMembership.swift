import ChatModel
import ChatProtocol

/// The rooms one session has joined and which of them is current (where plain text
/// goes). Each session has its own, even for the same user on two connections.
struct RoomMembership: Sendable {
    private(set) var rooms: [RoomName] = []
    private(set) var current: RoomName?

    func contains(_ room: RoomName) -> Bool {
        rooms.contains(room)
    }

    /// Joins (if needed) and makes `room` current. Returns false if it was joined.
    @discardableResult
    mutating func join(_ room: RoomName) -> Bool {
        defer { current = room }
        guard !contains(room) else { return false }
        rooms.append(room)
        return true
    }

    /// Leaves `room`. Leaving the current room makes `#lobby` current if the session is
    /// still in it, else leaves it without a current room. Returns false if not joined.
    @discardableResult
    mutating func leave(_ room: RoomName) -> Bool {
        guard let index = rooms.firstIndex(of: room) else { return false }
        rooms.remove(at: index)
        if current == room {
            current = contains(.lobby) ? .lobby : nil
        }
        return true
    }
}
