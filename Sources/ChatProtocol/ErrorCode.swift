/// The machine-readable code in an `ERR <code> <text>` line.
///
/// Clients branch on the code; the text is for people and may change. Codes are
/// deliberately coarse so that they reveal nothing a client should not learn
/// (for example, `authFailed` does not say whether the user exists).
public enum ErrorCode: String, Sendable, CaseIterable {
    case authFailed = "auth-failed"
    case loginRequired = "login-required"
    case unknownCommand = "unknown-command"
    case badArguments = "bad-arguments"
    case noSuchUser = "no-such-user"
    case userOffline = "user-offline"
    case noSuchRoom = "no-such-room"
    case notInRoom = "not-in-room"
    case badRoomName = "bad-room-name"
    case lineTooLong = "line-too-long"
    case badEncoding = "bad-encoding"
    case busy = "busy"
    /// The user has published no key for end-to-end DMs.
    case noKey = "no-key"
    /// More input than the connection may hold at this point (before login); the
    /// connection ends.
    case flood = "flood"
    /// A `/join` would take the account, or the server, past its cap on rooms; the
    /// text says which. Nothing changed.
    case tooManyRooms = "too-many-rooms"
}
