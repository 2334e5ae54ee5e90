import ChatProtocol

extension ServerLine {
    /// The line as the server sent it (single spaces between fields).
    public var text: String {
        func join(_ parts: [String?]) -> String {
            parts.compactMap { $0 }.joined(separator: " ")
        }
        switch self {
        case .hello(let server, let text): return "HELLO \(server) \(text)"
        case .ok(let command, let details): return join(["OK", command, details])
        case .error(let code, let text): return "ERR \(code) \(text)"
        case .message(let room, let sender, let text): return "MSG \(room) \(sender) \(text)"
        case .direct(let sender, let text): return "DM \(sender) \(text)"
        case .encryptedDirect(let sender, let payload): return "EDM \(sender) \(payload)"
        case .joined(let room, let user): return "JOIN \(room) \(user)"
        case .left(let room, let user): return "LEAVE \(room) \(user)"
        case .rooms(let rooms, let more): return join(["ROOMS"] + rooms + [more ? ServerEvent.listingContinues : nil])
        case .users(let room, let users, let more): return join(["USERS", room] + users + [more ? ServerEvent.listingContinues : nil])
        case .key(let user, let base64): return "KEY \(user) \(base64)"
        case .pong(let token): return join(["PONG", token])
        case .ping(let token): return "PING \(token)"
        case .info(let text): return "INFO \(text)"
        case .bye(let text): return "BYE \(text)"
        case .unrecognized(let line): return line
        }
    }
}
