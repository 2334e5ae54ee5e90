import ChatModel

/// A line from a logged-in (or logging-in) client, parsed.
///
/// Names are passed through raw: whether a user exists or a name is acceptable is
/// the server's decision. Room arguments are validated here because the rules for
/// room names are part of the protocol.
public enum ClientCommand: Equatable, Sendable {
    /// `/login <name> <password>`; the password is the rest of the line, never empty.
    case login(name: String, password: String)
    /// A plain line for the current room (a leading `//` is unescaped to `/`).
    case message(String)
    case join(RoomName)
    case leave(RoomName)
    case say(room: RoomName, text: String)
    /// `/rooms [after]`: the rooms that sort after `after`, all of them for `nil`; a
    /// client asks with the last room of a `ROOMS` line that ended in the marker.
    case rooms(after: RoomName?)
    /// `/who [room [after]]`; a `nil` room means the current room. `after` is the last
    /// user of a `USERS` line that ended in the marker; the server decides what it
    /// names, as with every user argument.
    case who(room: RoomName?, after: String?)
    case msg(user: String, text: String)
    /// `/passwd "<old>" "<new>"` (each quoted, with `\"` and `\\` escapes: any
    /// password), or the legacy `/passwd <old> <new>` (`old` one word, `new` the
    /// rest of the line).
    case passwd(old: String, new: String)
    case ping(token: String?)
    /// `/pong [token]`: the answer to the server's `PING`; any line would do, this one
    /// does nothing else.
    case pong(token: String?)
    case help
    case quit(message: String?)
    /// `/key set <base64>`: publish this account's X25519 public key for
    /// end-to-end direct messages. The text is checked by the server.
    case setKey(String)
    /// `/key get <user>`: fetch a user's published public key.
    case getKey(user: String)
    /// `/emsg <user> <payload>`: an end-to-end encrypted direct message; the payload
    /// is opaque to the server (base64 of nonce ‖ crypto_box ciphertext).
    case encryptedMessage(user: String, payload: String)
    /// `/history <room> [count]`: the last `count` (1–1000, default 50) messages of a
    /// room the account belongs to.
    case history(room: RoomName, count: Int)
    /// `/private <room>`: the owner makes a room invite-only; its members stay.
    case makePrivate(RoomName)
    /// `/public <room>`: the owner lets anyone join a private room again.
    case makePublic(RoomName)
    /// `/invite <user> <room>`: the owner lets `user` join a private room.
    case invite(user: String, room: RoomName)
    /// `/kick <user> <room>`: the owner ends `user`'s membership and invitation.
    case kick(user: String, room: RoomName)
    /// `/topic <room>`: the room's topic, as a `TOPIC` line.
    case showTopic(RoomName)
    /// `/topic <room> <text>`: the owner sets the topic, the rest of the line
    /// verbatim; nil, sent as `/topic <room> -`, clears it.
    case setTopic(room: RoomName, topic: String?)
    /// `/drop <room>`: the owner deletes the room; its members are removed.
    case drop(RoomName)
    /// `/cap ls`: which capabilities the server offers (answered `OK cap ls <cap>...`).
    case capList
    /// `/cap req <cap> [<cap>...]`: turn capabilities on, or off with a leading `-`
    /// (`-ids`). The words are passed through as typed: which ones exist is the
    /// server's decision, and it takes all of them or none.
    case capRequest([String])
    /// `/chathistory latest|before|after|between <target> [id [id]] [limit]`: a page
    /// of one conversation's stored events.
    case chatHistory(ChatHistoryQuery)
    /// `/catchup <id> [limit]`: the oldest stored events after `id` across all the
    /// account's rooms and direct conversations (limit 1–1000, default 500).
    case catchUp(after: Int64, limit: Int)
}

extension ClientCommand {
    /// How many messages `/history` shows when no count is given.
    public static let defaultHistoryCount = 50
    /// The most messages one `/history` shows.
    public static let maxHistoryCount = 1_000
    /// The text of `/topic <room> -`, which clears the topic rather than set it to a
    /// dash: a topic that is only a dash says nothing anyone would miss.
    public static let clearTopicText = "-"
    /// How many events a `/chathistory` page holds when no limit is given.
    public static let defaultChatHistoryLimit = 100
    /// How many events a `/catchup` page holds when no limit is given.
    public static let defaultCatchUpLimit = 500
    /// The most events one `/chathistory` or `/catchup` page holds.
    public static let maxPageLimit = 1_000
}
