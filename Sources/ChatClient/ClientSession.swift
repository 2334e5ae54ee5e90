import ChatCrypto
import ChatModel
import ChatProtocol
import Foundation

/// A logged-in session's logic, without I/O: it takes what the person typed and what
/// the server sent, and answers with lines to send and notices to show. End-to-end
/// DMs live here: key lookups, pinning, sealing, opening and the checks on each.
///
/// Used from one task at a time (the runner's event loop); not thread safe.
///
/// Matching replies to the client's own key lookups: the server answers a session's
/// lines strictly in order, but plain room text gets no reply unless it fails, so
/// counting replies cannot tell whose `ERR` is whose. Each lookup is therefore sent
/// as `/ping <token>` followed by `/key get <user>`: once `PONG <token>` arrives,
/// everything sent before has been answered, and the next `KEY` or `ERR` is the
/// lookup's.
public final class ClientSession {
    public enum Output: Equatable, Sendable {
        case send(String)
        case show(Notice)
        /// A barrier from `makeBarrier()` was passed: everything sent before it has
        /// been answered.
        case barrierPassed(String)
        /// `/quit` was sent; the server answers `BYE` and closes.
        case quit
        /// The server accepted `/passwd`; the key file must be sealed under this.
        case passwordChanged(String)
        /// This typed line was not sent (a warning says why); an interactive runner
        /// gives it back to the input line for editing.
        case refused(String)
        /// `/passwd` was typed alone: the runner asks for the passwords (at echo-off
        /// prompts on a terminal) and hands them to ``changePassword(old:new:)``.
        case askForPasswords
    }

    /// A key checked against the server this recently is not looked up again before
    /// each DM. A pinned key is safe to seal to in any case (only its holder can
    /// open); the look-up is there to notice changes soon.
    static let verifiedKeyLifetime: TimeInterval = 300
    /// Messages whose timestamp is further than this from now are marked.
    static let staleAfter: TimeInterval = 600

    public let me: String
    public let identity: BoxKeyPair?
    let pins: PeerKeyPins
    let now: () -> Date
    let barrierPrefix = "sc-\(String(UInt64.random(in: 0 ... .max), radix: 36))-"
    var barrierCounter = 0

    public private(set) var currentRoom: String? = RoomName.lobby.display
    var rooms: [String] = [RoomName.lobby.display]

    var lookups: [Lookup] = []
    var runnerBarriers: Set<String> = []
    var verifiedAt: [String: Date] = [:]
    /// The latest key the server offered for each user that differs from the pin,
    /// waiting for `/trust` with its fingerprint.
    var changedKeys: [String: BoxPublicKey] = [:]
    /// Messages that arrived after a key change, opened once the person trusts the key.
    var heldForTrust: [String: [Sealed]] = [:]
    /// Messages waiting for their sender's key to be looked up.
    var awaitingKey: [String: [Sealed]] = [:]
    var seenNonces: Set<[UInt8]> = []
    /// Typed lines held while a DM's key look-up or a `/back` page runs.
    var queuedInput: [String] = []
    var pendingPassword: String?
    var pendingPublishes = 0

    /// Stored events shown, and where the next catch-up starts.
    var seen: SeenEvents
    /// The server stamps stored events for this session (`/cap req ids` accepted).
    var stamps = false
    var catchUp: CatchUpRequest?
    /// Caught-up events waiting to be shown in id order (live lines may overtake a
    /// page), each with its id.
    var heldForOrder: [(id: Int64, notices: [Notice])] = []
    var historyPage: HistoryPageRequest?
    /// The oldest stored event shown of each conversation (a room, or the DMs with a
    /// user; lowercased), where `/back` continues.
    var oldestShown: [String: Int64] = [:]
    /// The room the client joins again by itself after a reconnect, to make it the
    /// current one on the server too: its `OK join` is not shown.
    var quietJoin: String?

    struct Lookup {
        enum Purpose {
            case ownKey
            case send(String)
            case decrypt
            case fingerprint
        }
        let token: String
        let user: String
        let purpose: Purpose
        var barrierPassed = false
    }

    enum KeyAnswer {
        case key(BoxPublicKey)
        case noKey
        case noSuchUser
        case failed(String)
    }

    /// An end-to-end DM waiting to be opened: one sent to us by `peer`, or (`sent`)
    /// one this account sent to `peer`, which opens with the same pair of keys.
    struct Sealed {
        let peer: String
        let sent: Bool
        let bytes: [UInt8]
        let arrival: Arrival
    }

    /// - Parameter lastSeen: the id of the last stored event this device showed for
    ///   the account (``LastSeenFile``), where catching up starts.
    public init(me: String, identity: BoxKeyPair?, pins: PeerKeyPins, lastSeen: Int64? = nil, now: @escaping () -> Date = Date.init) {
        self.me = me
        self.identity = identity
        self.pins = pins
        self.seen = SeenEvents(lastSeen: lastSeen)
        self.now = now
    }

    /// Nothing of the client's own is in flight: no key look-up, no held input, no
    /// key being published, no catch-up or history page under way.
    public var isIdle: Bool {
        lookups.isEmpty && queuedInput.isEmpty && pendingPublishes == 0 && catchUp == nil && historyPage == nil
    }

    /// What to send right after login: checks that the server holds this device's
    /// public key for us, and publishes it if not.
    public func start() -> [Output] {
        guard identity != nil else { return [] }
        return startLookup(me, .ownKey)
    }

    /// A `/ping` whose `PONG` reports `.barrierPassed(token)`.
    public func makeBarrier() -> (token: String, outputs: [Output]) {
        let token = nextToken()
        runnerBarriers.insert(token)
        return (token, [.send(ClientCommand.ping(token: token).rendered)])
    }

    // MARK: Typed lines

    public func userLine(_ line: String) -> [Output] {
        if let refusal = lengthRefusal(line) {
            return [.show(.warning(refusal)), .refused(line)]
        }
        if hasPendingSend {
            queuedInput.append(line)
            return []
        }
        return process(line)
    }

    /// Typed lines wait: behind a DM's key look-up (nothing overtakes that DM), or
    /// behind a page of `/back` (a second `/back` continues from where it ends).
    var hasPendingSend: Bool {
        historyPage != nil || lookups.contains { if case .send = $0.purpose { true } else { false } }
    }

    func drainQueuedInput() -> [Output] {
        var outputs: [Output] = []
        while !hasPendingSend, !queuedInput.isEmpty {
            outputs += process(queuedInput.removeFirst())
        }
        return outputs
    }

    private func process(_ line: String) -> [Output] {
        guard line.contains(where: { $0 != " " && $0 != "\t" }) else { return [] }
        guard line.hasPrefix("/") else {
            return [.send(line), .show(.ownRoomMessage(room: currentRoom, sender: me, text: line))]
        }
        if line.hasPrefix("//") {
            return [.send(line), .show(.ownRoomMessage(room: currentRoom, sender: me, text: String(line.dropFirst())))]
        }
        let (word, rest) = Self.splitWord(String(line.dropFirst()))
        switch word.lowercased() {
        case "msg":
            let (user, text) = Self.splitWord(rest)
            guard !user.isEmpty, !text.isEmpty else { return usage("/msg <user> <text>") }
            return sendEncrypted(text, to: user)
        case "plain":
            let (user, text) = Self.splitWord(rest)
            guard !user.isEmpty, !text.isEmpty else { return usage("/plain <user> <text>") }
            return [.send(ClientCommand.msg(user: user, text: text).rendered), .show(.ownDirect(recipient: user, text: text, encrypted: false))]
        case "fingerprint":
            let user = rest.trimmingCharacters(in: .whitespaces)
            guard !user.isEmpty, !user.contains(" ") else { return usage("/fingerprint <user>") }
            return startLookup(user, .fingerprint)
        case "trust":
            let (user, fingerprint) = Self.splitWord(rest)
            guard !user.isEmpty else { return usage(Self.trustUsage) }
            return trust(user, typedFingerprint: fingerprint.trimmingCharacters(in: .whitespaces))
        case "help":
            return [.show(.help(ClientHelp.lines))]
        case "back":
            return back(rest)
        case "me":
            guard rest.contains(where: { $0 != " " }) else { return usage("/me <action>") }
            let text = Self.action(rest)
            return [.send(ClientCommand.message(text).rendered), .show(.ownRoomMessage(room: currentRoom, sender: me, text: text))]
        case "quit":
            return [.send(line), .quit]
        case "passwd":
            guard rest.contains(where: { $0 != " " }) else { return [.askForPasswords] }
            // Parsed here as the server will parse it, quoted form included, so the
            // key file is sealed again under exactly the password the server set.
            guard case .success(.passwd(let old, let new)) = ClientCommand.parse(line) else {
                return usage(#"/passwd alone asks for both passwords; or /passwd "<old>" "<new>" (\" for a quote, \\ for a backslash)"#)
            }
            return sendPasswordChange(old: old, new: new)
        case "say":
            let (room, text) = Self.splitWord(rest)
            guard !room.isEmpty, !text.isEmpty else { return [.send(line)] }
            return [.send(line), .show(.ownRoomMessage(room: room, sender: me, text: text))]
        default:
            return [.send(line)]
        }
    }

    /// The passwords asked for after `/passwd` alone. Sent in whichever wire form
    /// carries them (``ClientCommand/rendered``), in turn with typed lines held
    /// behind a DM's key look-up. Never refused back to the input line: the line
    /// holds passwords.
    public func changePassword(old: String, new: String) -> [Output] {
        let line = ClientCommand.passwd(old: old, new: new).rendered
        guard lengthRefusal(line) == nil else {
            return [.show(.warning("the passwords are too long for one protocol line; password not changed"))]
        }
        if hasPendingSend {
            queuedInput.append(line)
            return []
        }
        return sendPasswordChange(old: old, new: new)
    }

    private func sendPasswordChange(old: String, new: String) -> [Output] {
        pendingPassword = new
        return [.send(ClientCommand.passwd(old: old, new: new).rendered)]
    }

    func usage(_ text: String) -> [Output] {
        [.show(.warning("usage: \(text)"))]
    }

    // MARK: Sending end-to-end

    private func sendEncrypted(_ text: String, to user: String) -> [Output] {
        guard identity != nil else {
            return [
                .show(
                    .warning(
                        "end-to-end DMs are off on this device (your key is not unlocked); nothing sent. /plain \(user) <text> sends a DM the server can read"
                    ))
            ]
        }
        let key = user.lowercased()
        if changedKeys[key] != nil {
            return [
                .show(.warning("\(user)'s key has changed and is not confirmed; nothing sent. Check /fingerprint \(user), then /trust \(user) <fingerprint>"))
            ]
        }
        if let pin = pins.pin(for: user), let checked = verifiedAt[key], now().timeIntervalSince(checked) < Self.verifiedKeyLifetime {
            return seal(text, to: user, key: pin)
        }
        return startLookup(user, .send(text))
    }

    func envelope(_ text: String, to user: String) -> EncryptedEnvelope {
        EncryptedEnvelope(sender: me, recipient: user, sentAt: now(), text: text)
    }

    func seal(_ text: String, to user: String, key: BoxPublicKey) -> [Output] {
        guard let identity else { return [] }
        let sealed = DirectMessageBox.seal(envelope(text, to: user).encoded, to: key, from: identity)
        return [
            .send(ClientCommand.encryptedMessage(user: user, payload: Data(sealed).base64EncodedString()).rendered),
            .show(.ownDirect(recipient: user, text: text, encrypted: true)),
        ]
    }

    static func base64Length(_ bytes: Int) -> Int {
        (bytes + 2) / 3 * 4
    }

    // MARK: Server lines

    public func serverEvent(_ event: ServerEvent) -> [Output] {
        switch event {
        case .pong(let token?):
            if let index = lookups.firstIndex(where: { $0.token == token }) {
                lookups[index].barrierPassed = true
                return []
            }
            if catchUp?.token == token {
                catchUp?.barrierPassed = true
                return []
            }
            if historyPage?.token == token {
                historyPage?.barrierPassed = true
                return []
            }
            if runnerBarriers.remove(token) != nil {
                return [.barrierPassed(token)]
            }
            return [.show(.server(event))]
        case .ping(let token):
            return [.send(ClientCommand.pong(token: token).rendered)]
        case .key(let user, let base64):
            if let lookup = lookups.first, lookup.barrierPassed, lookup.user.lowercased() == user.lowercased() {
                let answer: KeyAnswer = BoxPublicKey(base64: base64).map { .key($0) } ?? .failed("the server sent a malformed key for \(user)")
                return resolveFirstLookup(answer)
            }
            return [.show(.server(event))] + noticeUnrequestedKey(user: user, base64: base64)
        case .stamped(let stamp, let inner):
            return stamped(stamp, inner)
        case .error(let code, let text) where catchUp?.barrierPassed == true:
            return catchUpRefused(code, text)
        case .error(let code, let text) where historyPage?.barrierPassed == true:
            return historyPageRefused(code, text)
        case .error(let code, let text):
            quietJoin = nil
            if let lookup = lookups.first, lookup.barrierPassed {
                let answer: KeyAnswer =
                    switch code {
                    case .noKey: .noKey
                    case .noSuchUser: .noSuchUser
                    default: .failed("\(code.rawValue): \(text)")
                    }
                return resolveFirstLookup(answer)
            }
            if code == .authFailed { pendingPassword = nil }
            return [.show(.server(event))]
        case .encryptedDirect(let sender, let payload):
            return receive(payload, peer: sender, sent: false, arrival: .live)
        case .encryptedDirectSent(let recipient, let payload):
            return receive(payload, peer: recipient, sent: true, arrival: .live)
        case .ok(let command, let details):
            return acknowledge(command: command, details: details, event: event)
        default:
            return [.show(.server(event))]
        }
    }

    private func acknowledge(command: String, details: String?, event: ServerEvent) -> [Output] {
        switch ClientCommand.Kind(rawValue: command) {
        case .catchup?:
            return catchUpAnswered(details)
        case .chathistory?:
            return historyPageAnswered(details, event: event)
        case .join? where quietJoin != nil && details?.lowercased() == quietJoin:
            quietJoin = nil
            return []
        case .join?:
            if let room = details {
                currentRoom = room
                if !rooms.contains(where: { $0.lowercased() == room.lowercased() }) { rooms.append(room) }
            }
        case .leave?:
            if let room = details {
                rooms.removeAll { $0.lowercased() == room.lowercased() }
                if currentRoom?.lowercased() == room.lowercased() {
                    currentRoom = rooms.first { $0.lowercased() == RoomName.lobby.key }
                }
            }
        case .passwd?:
            if let new = pendingPassword {
                pendingPassword = nil
                return [.show(.server(event)), .passwordChanged(new)]
            }
        case .key? where pendingPublishes > 0:
            pendingPublishes -= 1
            let fingerprint = identity.map { $0.publicKey.fingerprint.description } ?? "?"
            return [.show(.note("published your end-to-end public key (fingerprint \(fingerprint))"))]
        default:
            break
        }
        return [.show(.server(event))]
    }

    /// A `KEY` line the person asked for themselves (`/key get`): still compared with
    /// the pin, so a change is never shown without a warning.
    private func noticeUnrequestedKey(user: String, base64: String) -> [Output] {
        guard let offered = BoxPublicKey(base64: base64), user.lowercased() != me.lowercased(),
            let pinned = pins.pin(for: user), pinned != offered
        else { return [] }
        changedKeys[user.lowercased()] = offered
        return [.show(.keyChanged(user: user, pinned: pinned.fingerprint.description, offered: offered.fingerprint.description))]
    }

    // MARK: Helpers

    /// `/me waves` goes to the room as the text `/me waves` (on the wire `//me
    /// waves`): the server needs no new command, clients that know it show
    /// `* alice waves`, and others show `alice: /me waves`, which still reads right.
    static func action(_ rest: String) -> String {
        "/me " + rest.drop { $0 == " " }
    }

    /// The action of a room message sent with `/me`, or nil.
    public static func actionText(_ text: String) -> String? {
        guard text.hasPrefix("/me "), text.count > 4 else { return nil }
        return String(text.dropFirst(4))
    }

    /// Splits at the first space: the first word, and the rest after that one space.
    static func splitWord(_ text: String) -> (String, String) {
        let trimmed = text.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " ") else { return (String(trimmed), "") }
        return (String(trimmed[..<space]), String(trimmed[trimmed.index(after: space)...]))
    }
}
