extension ServerEvent {
    /// Reads one line from the server, without its `\r\n`: the inverse of
    /// ``write(to:)``, for clients.
    ///
    /// Accepts exactly the lines rendering can produce: the keyword, each
    /// single-word field after exactly one space, free text after one more, a
    /// `ROOMS` or `USERS` line's final ``listingContinues`` marker after at least
    /// one name, and no control character (nor a TAB in a single-word field). So a
    /// parsed line renders back to itself byte for byte, and a rendered event
    /// parses back to itself, fields as rendering neutralised them.
    ///
    /// Anything else is `nil`, never a guess: an unknown keyword (a newer server),
    /// a missing or extra field, a listing that is only the marker. A client shows
    /// such a line as it came. An error code this version does not know still
    /// parses, as ``ErrorCode/unknown(_:)``.
    public static func parse(_ line: String) -> ServerEvent? {
        var fields = FieldReader(line)
        return try? fields.event()
    }
}

/// The fields of one server line, read left to right.
private struct FieldReader {
    struct Malformed: Error {}

    private var rest: Substring.UnicodeScalarView

    init(_ line: String) {
        self.rest = Substring(line).unicodeScalars
    }

    mutating func event() throws(Malformed) -> ServerEvent {
        if self.rest.first == "@" {
            let stamp = try self.stamp()
            let inner = try self.event()
            if case .stamped = inner { throw Malformed() }
            return .stamped(stamp, inner)
        }
        let keywordEnd = self.rest.firstIndex(of: " ") ?? self.rest.endIndex
        let keyword = String(self.rest[..<keywordEnd])
        self.rest = self.rest[keywordEnd...]
        let event: ServerEvent
        switch keyword {
        case "HELLO":
            event = .hello(server: try self.word(), text: try self.text())
        case "OK":
            event = .ok(command: try self.word(), details: try self.optionalText())
        case "ERR":
            event = .error(ErrorCode(rawValue: try self.word()), try self.text())
        case "MSG":
            event = .message(room: try self.word(), sender: try self.word(), text: try self.text())
        case "DM":
            event = .direct(sender: try self.word(), text: try self.text())
        case "JOIN":
            event = .joined(room: try self.word(), user: try self.word())
        case "LEAVE":
            event = .left(room: try self.word(), user: try self.word())
        case "ROOMS":
            let (rooms, more) = try self.listing()
            event = .rooms(rooms, more: more)
        case "USERS":
            let room = try self.word()
            let (users, more) = try self.listing()
            event = .users(room: room, users, more: more)
        case "PONG":
            event = .pong(try self.optionalText())
        case "PING":
            event = .ping(try self.word())
        case "INFO":
            event = .info(try self.text())
        case "BYE":
            event = .bye(try self.text())
        case "KEY":
            event = .key(user: try self.word(), key: try self.word())
        case "EDM":
            event = .encryptedDirect(sender: try self.word(), payload: try self.word())
        case "DMSENT":
            event = .directSent(recipient: try self.word(), text: try self.text())
        case "EDMSENT":
            event = .encryptedDirectSent(recipient: try self.word(), payload: try self.word())
        case "HISTORY":
            let room = try self.word()
            guard let time = EventTime(try self.word()) else { throw Malformed() }
            event = .history(room: room, time: time, sender: try self.word(), text: try self.text())
        case "TOPIC":
            event = .topic(room: try self.word(), text: try self.optionalText())
        case "INVITE":
            event = .invited(room: try self.word(), by: try self.word())
        case "KICK":
            event = .kicked(room: try self.word(), user: try self.word(), by: try self.word())
        case "DROP":
            event = .dropped(room: try self.word(), by: try self.word())
        default:
            throw Malformed()
        }
        guard self.rest.isEmpty else {
            throw Malformed()
        }
        return event
    }

    /// `@id=<digits>;time=<time> `, exactly as rendering writes it, leaving the rest
    /// of the line to read as an event.
    private mutating func stamp() throws(Malformed) -> EventStamp {
        guard let end = self.rest.firstIndex(of: " ") else { throw Malformed() }
        let tags = String(self.rest[..<end])
        self.rest = self.rest[self.rest.index(after: end)...]
        let parts = tags.split(separator: ";", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].hasPrefix("@id="), parts[1].hasPrefix("time=") else { throw Malformed() }
        let digits = parts[0].dropFirst(4)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), digits.first != "0" || digits.count == 1,
            let id = Int64(digits), let time = EventTime(String(parts[1].dropFirst(5)))
        else { throw Malformed() }
        return EventStamp(id: id, time: time)
    }

    /// A single-word field: its separating space, then up to the next space. It
    /// may be empty (rendering writes an empty word as nothing), but never holds a
    /// TAB or control character, which rendering replaces.
    private mutating func word() throws(Malformed) -> String {
        try self.separator()
        let end = self.rest.firstIndex(of: " ") ?? self.rest.endIndex
        let word = self.rest[..<end]
        guard !word.contains(where: { $0 == "\t" || $0.isForbiddenControl }) else {
            throw Malformed()
        }
        self.rest = self.rest[end...]
        return String(word)
    }

    /// Free text: its separating space, then the rest of the line, which may be
    /// empty and may hold spaces and TABs but no control character.
    private mutating func text() throws(Malformed) -> String {
        try self.separator()
        guard !self.rest.contains(where: \.isForbiddenControl) else {
            throw Malformed()
        }
        defer { self.rest = self.rest[self.rest.endIndex...] }
        return String(self.rest)
    }

    /// Free text that rendering leaves out, separator and all, when it is absent
    /// or empty; so when present it is never empty.
    private mutating func optionalText() throws(Malformed) -> String? {
        guard !self.rest.isEmpty else {
            return nil
        }
        let text = try self.text()
        guard !text.isEmpty else {
            throw Malformed()
        }
        return text
    }

    /// The names of a `ROOMS` or `USERS` line, and whether it ended in the marker
    /// that more follow. A marker with no name before it is refused: rendering
    /// never pages an empty listing, and there would be no name to ask again with.
    private mutating func listing() throws(Malformed) -> (names: [String], more: Bool) {
        var names: [String] = []
        while !self.rest.isEmpty {
            names.append(try self.word())
        }
        guard names.last == ServerEvent.listingContinues else {
            return (names, false)
        }
        names.removeLast()
        guard !names.isEmpty else {
            throw Malformed()
        }
        return (names, true)
    }

    private mutating func separator() throws(Malformed) {
        guard self.rest.first == " " else {
            throw Malformed()
        }
        self.rest = self.rest.dropFirst()
    }
}
