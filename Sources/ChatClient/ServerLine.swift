import ChatProtocol

/// One line from the server, parsed on the client side.
///
/// The parser is lenient where the protocol may grow and strict where a wrong
/// reading would matter: an unknown keyword or a line missing a required field
/// becomes `.unrecognized` (shown as is), never a guess. Error codes stay strings,
/// so a code added to the server later is still shown.
public enum ServerLine: Equatable, Sendable {
    case hello(server: String, text: String)
    case ok(command: String, details: String?)
    case error(code: String, text: String)
    case message(room: String, sender: String, text: String)
    case direct(sender: String, text: String)
    case encryptedDirect(sender: String, payload: String)
    case joined(room: String, user: String)
    case left(room: String, user: String)
    /// With `more`, the server has more rooms than fit one line (it ended in `+`):
    /// `/rooms <last room>` asks for them.
    case rooms([String], more: Bool = false)
    /// With `more`, `/who <room> <last user>` asks for the rest.
    case users(room: String, [String], more: Bool = false)
    case key(user: String, base64: String)
    case pong(String?)
    /// The server checks that an idle client is still there; answered with `/pong`.
    case ping(String)
    case info(String)
    case bye(String)
    case unrecognized(String)

    public init(parsing line: String) {
        self = Self.parse(line) ?? .unrecognized(line)
    }

    private static func parse(_ line: String) -> ServerLine? {
        var fields = FieldReader(line)
        guard let keyword = fields.word() else { return nil }
        switch keyword {
        case "HELLO":
            guard let server = fields.word() else { return nil }
            return .hello(server: server, text: fields.rest())
        case "OK":
            guard let command = fields.word() else { return nil }
            return .ok(command: command, details: fields.optionalRest())
        case "ERR":
            guard let code = fields.word() else { return nil }
            return .error(code: code, text: fields.rest())
        case "MSG":
            guard let room = fields.word(), let sender = fields.word() else { return nil }
            return .message(room: room, sender: sender, text: fields.rest())
        case "DM":
            guard let sender = fields.word() else { return nil }
            return .direct(sender: sender, text: fields.rest())
        case "EDM":
            guard let sender = fields.word(), let payload = fields.word(), fields.isAtEnd else { return nil }
            return .encryptedDirect(sender: sender, payload: payload)
        case "JOIN":
            guard let room = fields.word(), let user = fields.word(), fields.isAtEnd else { return nil }
            return .joined(room: room, user: user)
        case "LEAVE":
            guard let room = fields.word(), let user = fields.word(), fields.isAtEnd else { return nil }
            return .left(room: room, user: user)
        case "ROOMS":
            guard let rooms = fields.listing() else { return nil }
            return .rooms(rooms.names, more: rooms.more)
        case "USERS":
            guard let room = fields.word(), let users = fields.listing() else { return nil }
            return .users(room: room, users.names, more: users.more)
        case "KEY":
            guard let user = fields.word(), let key = fields.word(), fields.isAtEnd else { return nil }
            return .key(user: user, base64: key)
        case "PONG":
            return .pong(fields.optionalRest())
        case "PING":
            return .ping(fields.rest())
        case "INFO":
            return .info(fields.rest())
        case "BYE":
            return .bye(fields.rest())
        default:
            return nil
        }
    }
}

/// Splits a server line the way PROTOCOL.md says it is built: single-word fields
/// separated by exactly one space, then free text that may hold anything.
private struct FieldReader {
    private var remaining: Substring

    init(_ line: String) {
        remaining = Substring(line)
    }

    var isAtEnd: Bool { remaining.isEmpty }

    /// The next single-word field; nil if there is none or it is empty.
    mutating func word() -> String? {
        guard !remaining.isEmpty else { return nil }
        let end = remaining.firstIndex(of: " ") ?? remaining.endIndex
        let word = remaining[..<end]
        remaining = end == remaining.endIndex ? "" : remaining[remaining.index(after: end)...]
        return word.isEmpty ? nil : String(word)
    }

    /// Free text: everything left, possibly empty.
    mutating func rest() -> String {
        defer { remaining = "" }
        return String(remaining)
    }

    /// Free text that is absent, separator and all, when empty.
    mutating func optionalRest() -> String? {
        let text = rest()
        return text.isEmpty ? nil : text
    }

    mutating func remainingWords() -> [String] {
        var words: [String] = []
        while let word = word() { words.append(word) }
        return words
    }

    /// The names of a `ROOMS` or `USERS` line, and whether it ended in the marker
    /// that more follow. Nil for a marker with no name before it: there would be no
    /// name to ask again with.
    mutating func listing() -> (names: [String], more: Bool)? {
        var names = remainingWords()
        guard names.last == ServerEvent.listingContinues else { return (names, false) }
        names.removeLast()
        return names.isEmpty ? nil : (names, true)
    }
}
