import ChatCrypto
import ChatProtocol
import Foundation

/// Interactive output: `[#lobby] alice: hi`, DMs set apart and marked by kind, the
/// client's own warnings impossible to miss. Colours only when asked for (a TTY,
/// and no `NO_COLOR`); every piece of text from the network is sanitised first.
public struct TerminalRenderer: Sendable {
    public let colors: Bool
    /// Messages start with the local time they were shown, `HH:MM`.
    public let timestamps: Bool
    let now: @Sendable () -> Date

    public init(colors: Bool, timestamps: Bool = false, now: @escaping @Sendable () -> Date = Date.init) {
        self.colors = colors
        self.timestamps = timestamps
        self.now = now
    }

    /// Whether to colour: stdout is a terminal, `NO_COLOR` is unset or empty
    /// (no-color.org), and the terminal is not `dumb`.
    public static func wantsColors(stdoutIsTerminal: Bool, environment: [String: String]) -> Bool {
        stdoutIsTerminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    enum Style: String {
        case bold = "1"
        case dim = "2"
        case red = "31"
        case green = "32"
        case yellow = "33"
        case magenta = "35"
        case cyan = "36"
        case boldRed = "1;31"
        case boldYellow = "1;33"
        case boldGreen = "1;32"
    }

    func paint(_ text: String, _ style: Style) -> String {
        colors ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    public func render(_ notice: Notice) -> [String] {
        render(notice, storedAt: nil)
    }

    /// `storedAt`: the notice is a stored event shown apart from live ones; its
    /// time is when the server stored it, not now.
    private func render(_ notice: Notice, storedAt: Date?) -> [String] {
        func safe(_ text: String) -> String { TerminalSafeText.sanitize(text) }
        func stamped(_ line: String) -> String { self.stamped(line, storedAt: storedAt) }
        switch notice {
        case .server(let event):
            return renderServer(event, storedAt: storedAt)
        case .stored(let inner, let time):
            return render(inner, storedAt: time)
        case .divider(let text):
            return [paint("── \(safe(text)) ──", .dim)]
        case .encryptedDirectSent(let recipient, let text):
            return [stamped("\(paint("[e2e DM → \(safe(recipient))]", .boldGreen)) \(paint("you", .bold)): \(safe(text))")]
        case .unrecognizedServerLine(let line):
            return [safe(line)]
        case .ownRoomMessage(let room, let sender, let text):
            return [stamped(roomLine(room ?? "?", sender: sender, text: text))]
        case .ownDirect(let recipient, let text, let encrypted):
            if encrypted {
                return [stamped("\(paint("[e2e DM → \(safe(recipient))]", .boldGreen)) \(paint("you", .bold)): \(safe(text))")]
            }
            return [stamped("\(paint("[DM → \(safe(recipient)), server-readable]", .magenta)) \(paint("you", .bold)): \(safe(text))")]
        case .encryptedDirect(let sender, let text, let sentAt, let stale):
            var line = "\(paint("[e2e DM]", .boldGreen)) \(paint(safe(sender), .bold)): \(safe(text))"
            if stale {
                line += " " + paint("(sealed \(Self.describe(sentAt)); possibly replayed)", .boldYellow)
            }
            return [stamped(line)]
        case .rejectedDirect(let sender, let reason):
            return [paint("!! end-to-end DM from \(safe(sender)) rejected, not shown: \(safe(reason))", .boldRed)]
        case .keyPinned(let user, let fingerprint):
            return [
                paint(
                    "* pinned \(safe(user))'s end-to-end key on first use, fingerprint \(fingerprint) (compare it with them: /fingerprint \(safe(user)))",
                    .yellow)
            ]
        case .keyChanged(let user, let pinned, let offered):
            let name = safe(user)
            return [
                paint("!! WARNING: \(name)'s end-to-end key has CHANGED.", .boldRed),
                paint("!! pinned:        \(pinned)", .boldRed),
                paint("!! server offers: \(offered)", .boldRed),
                paint(
                    "!! Nothing is sent to \(name) until you compare fingerprints with \(name) out of band and confirm with /trust \(name) <fingerprint>.",
                    .boldRed),
            ]
        case .keyTrusted(let user, let fingerprint):
            return [paint("* now trusting \(safe(user))'s key \(fingerprint)", .green)]
        case .fingerprints(let f):
            var lines = [
                "* your key (\(safe(f.me))): \(f.mine ?? "none on this device")",
                "* \(safe(f.user))'s pinned key: \(f.pinned ?? "none")",
            ]
            if let offered = f.offered {
                lines.append(paint("!! the server offers a different key: \(offered)", .boldRed))
            }
            return lines
        case .help(let lines):
            // Headings flush left, entries indented.
            return lines.map { paint($0, $0.hasPrefix(" ") ? .dim : .bold) }
        case .warning(let text):
            return [paint("!! \(safe(text))", .boldYellow)]
        case .note(let text):
            return [paint("* \(safe(text))", .dim)]
        }
    }

    private func renderServer(_ event: ServerEvent, storedAt: Date?) -> [String] {
        func safe(_ text: String) -> String { TerminalSafeText.sanitize(text) }
        func stamped(_ line: String) -> String { self.stamped(line, storedAt: storedAt) }
        switch event {
        case .hello(let server, let text):
            return [paint("* connected to \(safe(server)): \(safe(text))", .dim)]
        case .ok(let command, let details):
            switch ClientCommand.Kind(rawValue: command) {
            case .msg?, .emsg?, .say?:
                return []  // the message was echoed when sent
            case .chathistory?, .catchup?:
                return []  // the page's own lines, and a divider, say it
            case .join?:
                return [paint("* you joined \(safe(details ?? ""))", .dim)]
            case .leave?:
                return [paint("* you left \(safe(details ?? ""))", .dim)]
            case .passwd?:
                return [paint("* password changed", .green)]
            case .login?:
                return [paint("* logged in as \(safe(details ?? ""))", .dim)]
            default:
                return [paint("* ok \(safe(command))\(details.map { " " + safe($0) } ?? "")", .dim)]
            }
        case .error(let code, let text):
            return [paint("! \(safe(code.rawValue)): \(safe(text))", .red)]
        case .message(let room, let sender, let text):
            return [stamped(roomLine(room, sender: sender, text: text))]
        case .direct(let sender, let text):
            return [stamped("\(paint("[DM, server-readable]", .magenta)) \(paint(safe(sender), .bold)): \(safe(text))")]
        case .encryptedDirect(let sender, _):
            return [paint("[e2e DM] \(safe(sender)): (sealed; not opened)", .yellow)]
        case .directSent(let recipient, let text):
            return [stamped("\(paint("[DM → \(safe(recipient)), server-readable]", .magenta)) \(paint("you", .bold)): \(safe(text))")]
        case .encryptedDirectSent(let recipient, _):
            return [paint("[e2e DM → \(safe(recipient))] you: (sealed; not opened)", .yellow)]
        case .joined(let room, let user):
            return [paint("* \(safe(user)) joined \(safe(room))", .dim)]
        case .left(let room, let user):
            return [paint("* \(safe(user)) left \(safe(room))", .dim)]
        case .rooms(let rooms, let more):
            let next = more ? " … more: /rooms \(safe(rooms.last ?? ""))" : ""
            return ["* rooms: \(rooms.isEmpty ? "none" : safe(rooms.joined(separator: " ")))\(next)"]
        case .users(let room, let users, let more):
            let next = more ? " … more: /who \(safe(room)) \(safe(users.last ?? ""))" : ""
            return ["* in \(safe(room)): \(safe(users.joined(separator: " ")))\(next)"]
        case .key(let user, let base64):
            let fingerprint = BoxPublicKey(base64: base64).map { $0.fingerprint.description } ?? "malformed key"
            return ["* \(safe(user))'s published key: fingerprint \(fingerprint)"]
        case .pong(let token):
            return [paint("* pong\(token.map { " " + safe($0) } ?? "")", .dim)]
        case .ping:
            return []
        case .info(let text):
            return [paint("  \(safe(text))", .dim)]
        case .bye(let text):
            return [paint("* server: \(safe(text))", .dim)]
        case .history(let room, let time, let sender, let text):
            // Set apart from live lines: dimmed, with when it was said.
            let date = Date(timeIntervalSince1970: Double(time.millisecondsSince1970) / 1000)
            return [paint("\(Self.describe(date)) ", .dim) + roomLine(room, sender: sender, text: text)]
        case .topic(let room, let text?):
            return [paint("* topic of \(safe(room)): \(safe(text))", .dim)]
        case .topic(let room, nil):
            return [paint("* \(safe(room)) has no topic", .dim)]
        case .invited(let room, let by):
            return [paint("* \(safe(by)) invited you to \(safe(room)); /join \(safe(room)) to enter", .bold)]
        case .kicked(let room, let user, let by):
            return [paint("* \(safe(user)) was removed from \(safe(room)) by \(safe(by))", .dim)]
        case .dropped(let room, let by):
            return [paint("* \(safe(by)) deleted \(safe(room))", .dim)]
        case .stamped(_, let event):
            return renderServer(event, storedAt: storedAt)
        }
    }

    /// `[#room] alice: text`, or `[#room] * alice waves` for an action (`/me waves`).
    private func roomLine(_ room: String, sender: String, text: String) -> String {
        let tag = paint("[\(TerminalSafeText.sanitize(room))]", .cyan)
        let name = TerminalSafeText.sanitize(sender)
        if let action = ClientSession.actionText(text) {
            return "\(tag) \(paint("* \(name)", .bold)) \(TerminalSafeText.sanitize(action))"
        }
        return "\(tag) \(paint(name, .bold)): \(TerminalSafeText.sanitize(text))"
    }

    /// The line after the local time it was shown, `HH:MM`; a stored event's after
    /// the time it was stored (with the date when that was not today), always.
    private func stamped(_ line: String, storedAt: Date?) -> String {
        if let storedAt {
            let today = Calendar.current.isDate(storedAt, inSameDayAs: now())
            return "\(paint(today ? Self.clock(storedAt) : Self.describe(storedAt), .dim)) \(line)"
        }
        return timestamps ? "\(paint(Self.clock(now()), .dim)) \(line)" : line
    }

    /// Local time as `HH:MM`.
    static func clock(_ date: Date) -> String {
        let parts = Calendar.current.dateComponents([.hour, .minute], from: date)
        let two = { (value: Int?) in String(format: "%02d", value ?? 0) }
        return "\(two(parts.hour)):\(two(parts.minute))"
    }

    private static func describe(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}
