import ChatModel
import ChatStore
import NIOCore

/// What the login's look-up of the account read besides it (`LoginSnapshot`), and
/// when: entering the hub uses it instead of asking the store again, unless the hub
/// saw something since that the read may have missed (`Hub.register(_:prefetched:)`).
struct LoginPrefetch: Sendable {
    /// The account's rooms as the store had them; nil when they were not read.
    let rooms: [RoomName]?
    /// Whether direct messages waited; nil when the store could not tell.
    let hasOfflineMessages: Bool?
    /// Taken before the read began.
    let readAt: NIODeadline

    init(_ snapshot: LoginSnapshot, readAt: NIODeadline) {
        self.rooms = snapshot.rooms
        self.hasOfflineMessages = snapshot.hasOfflineMessages
        self.readAt = readAt
    }
}
