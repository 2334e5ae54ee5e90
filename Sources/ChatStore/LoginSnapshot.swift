import ChatModel

/// What a login needs from the store, read in one go: the account, and, from a store
/// that also keeps conversations, the account's rooms and whether direct messages wait
/// for it. One trip to the store instead of three: on a server with a core to spare
/// for nothing else, each trip to the store's thread and back cost as much CPU as the
/// query itself.
public struct LoginSnapshot: Sendable, Equatable {
    public let account: UserRecord
    /// As `ConversationStore.rooms(of:)` has them, from the same snapshot as `account`;
    /// nil from a store that keeps no rooms (ask the conversation store instead).
    public let rooms: [RoomName]?
    /// Whether `ConversationStore.takeOffline(for:)` would find anything; nil when the
    /// store cannot tell (take the queue to find out).
    public let hasOfflineMessages: Bool?

    public init(account: UserRecord, rooms: [RoomName]?, hasOfflineMessages: Bool?) {
        self.account = account
        self.rooms = rooms
        self.hasOfflineMessages = hasOfflineMessages
    }
}
