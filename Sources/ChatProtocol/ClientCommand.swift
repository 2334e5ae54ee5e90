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
    case rooms
    /// `/who [room]`; `nil` means the current room.
    case who(room: RoomName?)
    case msg(user: String, text: String)
    /// `/passwd <old> <new>`: split at the first space, so `new` may contain spaces but `old` cannot.
    case passwd(old: String, new: String)
    case ping(token: String?)
    case help
    case quit(message: String?)
}
