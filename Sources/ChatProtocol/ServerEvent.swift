import NIOCore

/// One line the server sends to a client: the server renders it
/// (``write(to:)``), the client parses it (``parse(_:)``), one grammar for both.
///
/// Every line is a keyword, then fields separated by single spaces, then `\r\n`.
/// The last field of most lines is free text and may contain spaces; the fields
/// before it are single words.
///
/// Room and user fields are the names as spelled on the wire, not `RoomName` or
/// `UserName`: those compare without case, while a line carries one spelling (the
/// creator's, the account's) that the client shows; and a client reads a name it
/// would not accept itself rather than lose the line.
public enum ServerEvent: Equatable, Sendable {
    /// `HELLO <server> <text>`: the greeting after the TLS handshake.
    case hello(server: String, text: String)
    /// `OK <command> [details]`: a command succeeded. `command` is a
    /// ``ClientCommand/Kind``'s raw value; it stays a word so that an `OK` for a
    /// command a client does not know still parses.
    case ok(command: String, details: String?)
    /// `ERR <code> <text>`
    case error(ErrorCode, String)
    /// `MSG <room> <sender> <text>`
    case message(room: String, sender: String, text: String)
    /// `DM <sender> <text>`
    case direct(sender: String, text: String)
    /// `JOIN <room> <user>`
    case joined(room: String, user: String)
    /// `LEAVE <room> <user>`
    case left(room: String, user: String)
    /// `ROOMS <room> <room> ... [+]`, or `ROOMS` alone if there are none. With
    /// `more`, the line ends in ``listingContinues``: the client asks again with
    /// `/rooms <last room>` for the rest.
    case rooms([String], more: Bool = false)
    /// `USERS <room> <user> ... [+]`; with `more`, `/who <room> <last user>` gives the
    /// rest.
    case users(room: String, [String], more: Bool = false)
    /// `PONG [token]`
    case pong(String?)
    /// `PING <token>`: the server checks that an idle client is still there; any line
    /// answers it (`/pong <token>` is the quiet one).
    case ping(String)
    /// `INFO <text>`
    case info(String)
    /// `BYE <text>`: the server is about to close the connection.
    case bye(String)
    /// `KEY <user> <base64>`: a user's published public key for end-to-end DMs.
    case key(user: String, key: String)
    /// `EDM <sender> <payload>`: an end-to-end encrypted direct message, relayed as is.
    case encryptedDirect(sender: String, payload: String)
    /// `DMSENT <recipient> <text>`: a direct message this account sent, as catch-up
    /// and `/chathistory` show it, and as the account's other sessions that asked for
    /// `ids` see it live (so a second device shows what the first one sent).
    case directSent(recipient: String, text: String)
    /// `EDMSENT <recipient> <payload>`: an end-to-end DM this account sent, relayed
    /// as is, like ``directSent(recipient:text:)``.
    case encryptedDirectSent(recipient: String, payload: String)
    /// `HISTORY <room> <time> <sender> <text>`: one stored message of a room, in
    /// answer to `/history`, oldest first, followed by `OK history <room> <n>`.
    case history(room: String, time: EventTime, sender: String, text: String)
    /// `TOPIC <room> [text]`: a room's topic, without text when it has none. Sent
    /// after `OK join` (only when there is one), in answer to `/topic <room>`, and to
    /// the room's members when its owner sets or clears it.
    case topic(room: String, text: String?)
    /// `INVITE <room> <by>`: the room's owner `by` invited you; `/join <room>` enters.
    case invited(room: String, by: String)
    /// `KICK <room> <user> <by>`: the room's owner `by` removed `user`'s membership
    /// and invitation. Sent to the room's members and to `user`'s sessions, which
    /// get nothing more from the room.
    case kicked(room: String, user: String, by: String)
    /// `DROP <room> <by>`: the room's owner `by` deleted the room; its members get
    /// nothing more from it.
    case dropped(room: String, by: String)
    /// `@id=<id>;time=<time> <line>`: a stored event's line with its id and time in
    /// front, in the style of IRCv3 message tags. Only a session that asked for
    /// stamps (`/cap req ids`) gets these; the inner event is never itself stamped.
    indirect case stamped(EventStamp, ServerEvent)

    /// The last field of a `ROOMS` or `USERS` line that has more to come. It can be
    /// neither a room name (`#` first) nor a user name (letters, digits, `_ . -`), so a
    /// client cannot mistake it for one.
    public static let listingContinues = "+"
}

/// A stored event's place in the log and when it was stored, as a client that asked
/// for them sees them in front of the event's line.
public struct EventStamp: Hashable, Sendable {
    /// The event's id: strictly increasing within a conversation, never reused.
    public let id: Int64
    public let time: EventTime

    public init(id: Int64, time: EventTime) {
        self.id = id
        self.time = time
    }
}
