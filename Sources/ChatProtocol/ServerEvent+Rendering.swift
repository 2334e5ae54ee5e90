import NIOCore

extension ServerEvent {
    /// Appends this event's wire form, including the final `\r\n`, to `buffer`.
    ///
    /// Writes straight into the buffer: the hub renders each event once and shares
    /// the bytes among all recipients.
    ///
    /// Whatever the fields hold, exactly one line is written. Control characters
    /// (C0 except TAB, DEL, C1) become U+FFFD in every field, so no text, however
    /// it reached the server, can end a line early, forge a second one, or send
    /// terminal escapes to clients. Single-word fields also have spaces and TABs
    /// replaced, so the field count of every line is fixed.
    public func write(to buffer: inout ByteBuffer) {
        switch self {
        case .hello(let server, let text):
            buffer.writeStaticString("HELLO")
            buffer.writeWordField(server)
            buffer.writeTextField(text)
        case .ok(let command, let details):
            buffer.writeStaticString("OK")
            buffer.writeWordField(command)
            buffer.writeOptionalTextField(details)
        case .error(let code, let text):
            buffer.writeStaticString("ERR")
            buffer.writeWordField(code.rawValue)
            buffer.writeTextField(text)
        case .message(let room, let sender, let text):
            buffer.writeStaticString("MSG")
            buffer.writeWordField(room)
            buffer.writeWordField(sender)
            buffer.writeTextField(text)
        case .direct(let sender, let text):
            buffer.writeStaticString("DM")
            buffer.writeWordField(sender)
            buffer.writeTextField(text)
        case .joined(let room, let user):
            buffer.writeStaticString("JOIN")
            buffer.writeWordField(room)
            buffer.writeWordField(user)
        case .left(let room, let user):
            buffer.writeStaticString("LEAVE")
            buffer.writeWordField(room)
            buffer.writeWordField(user)
        case .rooms(let rooms, let more):
            buffer.writeStaticString("ROOMS")
            for room in rooms {
                buffer.writeWordField(room)
            }
            buffer.writeListingContinues(more)
        case .users(let room, let users, let more):
            buffer.writeStaticString("USERS")
            buffer.writeWordField(room)
            for user in users {
                buffer.writeWordField(user)
            }
            buffer.writeListingContinues(more)
        case .pong(let token):
            buffer.writeStaticString("PONG")
            buffer.writeOptionalTextField(token)
        case .ping(let token):
            buffer.writeStaticString("PING")
            buffer.writeWordField(token)
        case .info(let text):
            buffer.writeStaticString("INFO")
            buffer.writeTextField(text)
        case .bye(let text):
            buffer.writeStaticString("BYE")
            buffer.writeTextField(text)
        case .key(let user, let key):
            buffer.writeStaticString("KEY")
            buffer.writeWordField(user)
            buffer.writeWordField(key)
        case .encryptedDirect(let sender, let payload):
            buffer.writeStaticString("EDM")
            buffer.writeWordField(sender)
            buffer.writeWordField(payload)
        case .directSent(let recipient, let text):
            buffer.writeStaticString("DMSENT")
            buffer.writeWordField(recipient)
            buffer.writeTextField(text)
        case .encryptedDirectSent(let recipient, let payload):
            buffer.writeStaticString("EDMSENT")
            buffer.writeWordField(recipient)
            buffer.writeWordField(payload)
        case .history(let room, let time, let sender, let text):
            buffer.writeStaticString("HISTORY")
            buffer.writeWordField(room)
            buffer.writeWordField(time.description)
            buffer.writeWordField(sender)
            buffer.writeTextField(text)
        case .topic(let room, let text):
            buffer.writeStaticString("TOPIC")
            buffer.writeWordField(room)
            buffer.writeOptionalTextField(text)
        case .invited(let room, let by):
            buffer.writeStaticString("INVITE")
            buffer.writeWordField(room)
            buffer.writeWordField(by)
        case .kicked(let room, let user, let by):
            buffer.writeStaticString("KICK")
            buffer.writeWordField(room)
            buffer.writeWordField(user)
            buffer.writeWordField(by)
        case .dropped(let room, let by):
            buffer.writeStaticString("DROP")
            buffer.writeWordField(room)
            buffer.writeWordField(by)
        case .stamped(let stamp, let event):
            buffer.writeStaticString("@id=")
            buffer.writeString(String(stamp.id))
            buffer.writeStaticString(";time=")
            buffer.writeString(stamp.time.description)
            buffer.writeStaticString(" ")
            // A stamp on a stamped line would be a second prefix no parser expects.
            if case .stamped(_, let inner) = event {
                inner.write(to: &buffer)
            } else {
                event.write(to: &buffer)
            }
            return
        }
        buffer.writeStaticString("\r\n")
    }

    /// This event's wire form in a new buffer.
    public func rendered(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        self.write(to: &buffer)
        return buffer
    }
}

extension ByteBuffer {
    /// A separating space, then a single-word field.
    fileprivate mutating func writeWordField(_ word: String) {
        self.writeStaticString(" ")
        self.writeSanitized(word, allowingBlanks: false)
    }

    /// A separating space, then free text.
    ///
    /// The separator is written even for empty text so the line keeps its shape.
    fileprivate mutating func writeTextField(_ text: String) {
        self.writeStaticString(" ")
        self.writeSanitized(text, allowingBlanks: true)
    }

    fileprivate mutating func writeListingContinues(_ more: Bool) {
        if more {
            self.writeWordField(ServerEvent.listingContinues)
        }
    }

    /// Free text that is omitted, separator and all, when `nil` or empty.
    fileprivate mutating func writeOptionalTextField(_ text: String?) {
        guard let text, !text.isEmpty else {
            return
        }
        self.writeTextField(text)
    }

    /// Writes `text` as UTF-8 with unsafe characters replaced by U+FFFD.
    ///
    /// Works on bytes: a `String` is always valid UTF-8, in which C0 controls and
    /// DEL are single bytes and C1 controls are exactly `C2 80`...`C2 9F`, so
    /// every other byte can be copied in runs without decoding scalars.
    fileprivate mutating func writeSanitized(_ text: String, allowingBlanks: Bool) {
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            var index = 0
            while index < bytes.count {
                let unsafeLength = Self.unsafeSequenceLength(bytes, at: index, allowingBlanks: allowingBlanks)
                guard unsafeLength > 0 else {
                    index += 1
                    continue
                }
                self.writeBytes(bytes[runStart..<index])
                self.writeStaticString("\u{FFFD}")
                index += unsafeLength
                runStart = index
            }
            self.writeBytes(bytes[runStart..<index])
        }
    }

    /// The length of the unsafe character starting at `index`, or 0 if it is safe.
    private static func unsafeSequenceLength(
        _ bytes: UnsafeBufferPointer<UInt8>,
        at index: Int,
        allowingBlanks: Bool
    ) -> Int {
        switch bytes[index] {
        case UInt8(ascii: " "), UInt8(ascii: "\t"):
            return allowingBlanks ? 0 : 1
        case 0x00...0x1F, 0x7F:
            return 1
        case 0xC2 where index + 1 < bytes.count && (0x80...0x9F).contains(bytes[index + 1]):
            return 2
        default:
            return 0
        }
    }
}
