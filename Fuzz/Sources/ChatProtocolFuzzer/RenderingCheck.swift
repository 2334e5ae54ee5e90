import ChatProtocol
import NIOCore
import NIOEmbedded

/// Renders events built from fuzzed strings and compares the bytes with a
/// scalar-by-scalar reference rendering; then checks that every rendered event is
/// exactly one line a client's decoder accepts, and that `ServerEvent.parse`
/// reads it back as the event with its fields as the reference neutralised them.
enum RenderingCheck {
    /// Renders every event kind once, the strings taking turns as its free text
    /// and its one-word fields (rendering is the hot path of the fuzzer: keep it to
    /// one line per kind).
    static func run(strings: [String], codeSelector: UInt8) {
        guard !strings.isEmpty else {
            return
        }
        // A client-side decoder that reads the rendered lines back.
        let client = EmbeddedChannel()
        defer { _ = try? client.finish(acceptAlreadyClosed: true) }
        do {
            try client.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineLength: 1 << 24)))
        } catch {
            violation("adding the decoder failed: \(error)")
        }
        var turn = 0
        func next() -> String {
            defer { turn += 1 }
            return strings[turn % strings.count]
        }
        let code = ErrorCode.known[Int(codeSelector) % ErrorCode.known.count]
        let events: [ServerEvent] = [
            .hello(server: next(), text: next()),
            .ok(command: next(), details: next()),
            .ok(command: next(), details: nil),
            .error(code, next()),
            .error(.unknown(next()), next()),
            .message(room: next(), sender: next(), text: next()),
            .direct(sender: next(), text: next()),
            .joined(room: next(), user: next()),
            .left(room: next(), user: next()),
            .rooms(Array(strings.prefix(3))),
            .rooms(Array(strings.suffix(2)), more: true),
            .users(room: next(), Array(strings.suffix(3))),
            .users(room: next(), Array(strings.prefix(2)), more: true),
            .pong(next()),
            .pong(nil),
            .ping(next()),
            .info(next()),
            .bye(next()),
            .key(user: next(), key: next()),
            .encryptedDirect(sender: next(), payload: next()),
            .directSent(recipient: next(), text: next()),
            .encryptedDirectSent(recipient: next(), payload: next()),
            .history(room: next(), time: EventTime(millisecondsSince1970: Int64(codeSelector) * 1_000_003), sender: next(), text: next()),
            .stamped(EventStamp(id: Int64(turn), time: EventTime(millisecondsSince1970: 0)), .message(room: next(), sender: next(), text: next())),
        ]
        // All lines in one read: the client must get them back one for one.
        var wire = client.allocator.buffer(capacity: 1024)
        var expectedLines: [InboundLine] = []
        for event in events {
            var rendered = event.rendered()
            expectedLines.append(self.check(event, rendered: rendered))
            wire.writeBuffer(&rendered)
        }
        do {
            try client.writeInbound(wire)
            for (event, expected) in zip(events, expectedLines) {
                let line = try client.readInbound(as: InboundLine.self)
                ChatProtocolFuzzer.check(line == expected, "\(event) was read back as \(String(describing: line))")
            }
            ChatProtocolFuzzer.check(try client.readInbound(as: InboundLine.self) == nil, "more lines than events")
        } catch {
            violation("decoding rendered events threw \(error)")
        }
    }

    /// Checks one event's bytes; returns the line a client's decoder must read.
    private static func check(_ event: ServerEvent, rendered: ByteBuffer) -> InboundLine {
        let bytes = Array(rendered.readableBytesView)
        let expected = Array(self.reference(event).utf8)
        ChatProtocolFuzzer.check(bytes == expected, "\(event) rendered \(bytes), expected \(expected)")

        // Exactly one line, ending in CRLF, which a client reads back verbatim.
        ChatProtocolFuzzer.check(bytes.suffix(2) == [13, 10], "\(event) does not end in CRLF")
        let body = bytes.dropLast(2)
        ChatProtocolFuzzer.check(!body.contains(10) && !body.contains(13), "\(event) holds a line break")
        let line = String(decoding: body, as: UTF8.self)

        // What the client reads back.
        let parsed = ServerEvent.parse(line)
        let readBack = self.readBack(event)
        ChatProtocolFuzzer.check(parsed == readBack, "\(event) was parsed back as \(String(describing: parsed)), expected \(String(describing: readBack))")
        ParsingCheck.run(line)
        return .text(line)
    }

    /// The event a client must parse from the reference line: fields neutralised as
    /// the reference does, empty optional text absent, a listing's last name that
    /// is the marker read as the marker, and no event at all for a listing that is
    /// only the marker (PROTOCOL.md: the marker follows the last name).
    private static func readBack(_ event: ServerEvent) -> ServerEvent? {
        func word(_ field: String) -> String { self.sanitized(field, word: true) }
        func text(_ field: String) -> String { self.sanitized(field, word: false) }
        func optionalText(_ field: String?) -> String? { field.flatMap { $0.isEmpty ? nil : text($0) } }
        func listing(_ names: [String], _ more: Bool) -> (names: [String], more: Bool)? {
            var names = names.map(word)
            var more = more
            if !more && names.last == "+" {
                names.removeLast()
                more = true
            }
            return more && names.isEmpty ? nil : (names, more)
        }

        switch event {
        case .hello(let server, let greeting): return .hello(server: word(server), text: text(greeting))
        case .ok(let command, let details): return .ok(command: word(command), details: optionalText(details))
        case .error(let code, let message): return .error(ErrorCode(rawValue: word(code.rawValue)), text(message))
        case .message(let room, let sender, let body): return .message(room: word(room), sender: word(sender), text: text(body))
        case .direct(let sender, let body): return .direct(sender: word(sender), text: text(body))
        case .joined(let room, let user): return .joined(room: word(room), user: word(user))
        case .left(let room, let user): return .left(room: word(room), user: word(user))
        case .rooms(let rooms, let more): return listing(rooms, more).map { .rooms($0.names, more: $0.more) }
        case .users(let room, let users, let more): return listing(users, more).map { .users(room: word(room), $0.names, more: $0.more) }
        case .pong(let token): return .pong(optionalText(token))
        case .ping(let token): return .ping(word(token))
        case .key(let user, let key): return .key(user: word(user), key: word(key))
        case .encryptedDirect(let sender, let payload): return .encryptedDirect(sender: word(sender), payload: word(payload))
        case .directSent(let recipient, let body): return .directSent(recipient: word(recipient), text: text(body))
        case .encryptedDirectSent(let recipient, let payload): return .encryptedDirectSent(recipient: word(recipient), payload: word(payload))
        case .history(let room, let time, let sender, let body): return .history(room: word(room), time: time, sender: word(sender), text: text(body))
        case .stamped(let stamp, let inner): return self.readBack(inner).map { .stamped(stamp, $0) }
        case .info(let message): return .info(text(message))
        case .bye(let message): return .bye(text(message))
        }
    }

    /// The wire form by PROTOCOL.md: keyword, single-space-separated fields, CRLF;
    /// controls become U+FFFD everywhere, and so do blanks inside one-word fields.
    private static func reference(_ event: ServerEvent) -> String {
        func word(_ field: String) -> String { " " + self.sanitized(field, word: true) }
        func text(_ field: String) -> String { " " + self.sanitized(field, word: false) }
        func optionalText(_ field: String?) -> String { field.map { $0.isEmpty ? "" : text($0) } ?? "" }

        let line: String
        switch event {
        case .hello(let server, let greeting): line = "HELLO" + word(server) + text(greeting)
        case .ok(let command, let details): line = "OK" + word(command) + optionalText(details)
        case .error(let code, let message): line = "ERR" + word(code.rawValue) + text(message)
        case .message(let room, let sender, let body): line = "MSG" + word(room) + word(sender) + text(body)
        case .direct(let sender, let body): line = "DM" + word(sender) + text(body)
        case .joined(let room, let user): line = "JOIN" + word(room) + word(user)
        case .left(let room, let user): line = "LEAVE" + word(room) + word(user)
        case .rooms(let rooms, let more): line = "ROOMS" + rooms.map(word).joined() + (more ? " +" : "")
        case .users(let room, let users, let more): line = "USERS" + word(room) + users.map(word).joined() + (more ? " +" : "")
        case .pong(let token): line = "PONG" + optionalText(token)
        case .ping(let token): line = "PING" + word(token)
        case .key(let user, let key): line = "KEY" + word(user) + word(key)
        case .encryptedDirect(let sender, let payload): line = "EDM" + word(sender) + word(payload)
        case .directSent(let recipient, let body): line = "DMSENT" + word(recipient) + text(body)
        case .encryptedDirectSent(let recipient, let payload): line = "EDMSENT" + word(recipient) + word(payload)
        case .history(let room, let time, let sender, let body): line = "HISTORY" + word(room) + " \(time)" + word(sender) + text(body)
        case .stamped(let stamp, let inner): return "@id=\(stamp.id);time=\(stamp.time) " + self.reference(inner)
        case .info(let message): line = "INFO" + text(message)
        case .bye(let message): line = "BYE" + text(message)
        }
        return line + "\r\n"
    }

    private static func sanitized(_ field: String, word: Bool) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in field.unicodeScalars {
            let unsafe = scalar.isProtocolControl || (word && scalar.isBlank)
            scalars.append(unsafe ? "\u{FFFD}" : scalar)
        }
        return String(scalars)
    }
}
