/// The machine-readable code in an `ERR <code> <text>` line.
///
/// Clients branch on the code; the text is for people and may change. Codes are
/// deliberately coarse so that they reveal nothing a client should not learn
/// (for example, `authFailed` does not say whether the user exists).
public enum ErrorCode: Hashable, Sendable {
    case authFailed
    case loginRequired
    case unknownCommand
    case badArguments
    case noSuchUser
    case noSuchRoom
    case notInRoom
    case badRoomName
    case lineTooLong
    case badEncoding
    case busy
    /// The user has published no key for end-to-end DMs.
    case noKey
    /// More input than the connection may hold at this point (before login); the
    /// connection ends.
    case flood
    /// A `/join` would take the account, or the server, past its cap on rooms; the
    /// text says which. Nothing changed.
    case tooManyRooms
    /// The message could not be stored (the disk is full or read-only, say), so it
    /// was not sent to anyone; the sender may try again.
    case notStored
    /// The recipient of a direct message is offline and already has the most
    /// messages waiting that the server keeps for one account; nothing was stored.
    case mailboxFull
    /// `/join` of a private room without an invitation.
    case notInvited
    /// A room owner's command from someone who does not own the room.
    case notOwner
    /// A code this version does not know, as a newer server may send: a client
    /// shows it with its text and otherwise treats it as any failure, rather than
    /// dropping the line.
    ///
    /// Never holds one of the codes above: ``init(rawValue:)`` and
    /// ``ServerEvent/parse(_:)`` map those to their cases, so that a `switch` on
    /// the code sees every known code as its case.
    case unknown(String)

    /// The codes this version knows, in PROTOCOL.md's order.
    public static let known: [ErrorCode] = [
        .authFailed, .loginRequired, .unknownCommand, .badArguments, .noSuchUser, .mailboxFull, .noKey,
        .noSuchRoom, .notInRoom, .notInvited, .notOwner, .badRoomName, .tooManyRooms, .lineTooLong, .badEncoding, .busy, .notStored, .flood,
    ]
}

extension ErrorCode: RawRepresentable {
    /// The code for a word from an `ERR` line; never fails, a word this version
    /// does not know is ``unknown(_:)``.
    public init(rawValue: String) {
        self = Self.known.first { $0.rawValue == rawValue } ?? .unknown(rawValue)
    }

    /// The code as it is written in `ERR` lines.
    public var rawValue: String {
        switch self {
        case .authFailed: return "auth-failed"
        case .loginRequired: return "login-required"
        case .unknownCommand: return "unknown-command"
        case .badArguments: return "bad-arguments"
        case .noSuchUser: return "no-such-user"
        case .notStored: return "not-stored"
        case .mailboxFull: return "mailbox-full"
        case .notInvited: return "not-invited"
        case .notOwner: return "not-owner"
        case .noSuchRoom: return "no-such-room"
        case .notInRoom: return "not-in-room"
        case .badRoomName: return "bad-room-name"
        case .lineTooLong: return "line-too-long"
        case .badEncoding: return "bad-encoding"
        case .busy: return "busy"
        case .noKey: return "no-key"
        case .flood: return "flood"
        case .tooManyRooms: return "too-many-rooms"
        case .unknown(let code): return code
        }
    }
}

extension ErrorCode {
    /// Codes are their wire form: written out here rather than left to the
    /// compiler and the standard library's `RawRepresentable` defaults, which
    /// could otherwise disagree about `.unknown("busy")` and `.busy`.
    public static func == (lhs: ErrorCode, rhs: ErrorCode) -> Bool {
        lhs.rawValue == rhs.rawValue
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.rawValue)
    }
}

extension ErrorCode: CustomStringConvertible {
    public var description: String { self.rawValue }
}
