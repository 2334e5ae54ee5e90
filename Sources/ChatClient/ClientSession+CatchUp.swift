import ChatModel
import ChatProtocol
import Foundation

/// Stamped events (`@id=<n>;time=<t> <line>`, after `/cap req ids`): catching up on
/// what was stored while this device was away, deduplicating by id, and `/back`.
///
/// Catch-up: after login the client asks `/catchup <last id seen>` and again with a
/// page's last id while the answer ends in `more`. Each request goes behind a
/// `/ping` barrier, like the key look-ups: once its `PONG` is in, the next `OK
/// catchup` or `ERR` is that request's, and the stamped line just before `OK
/// catchup` is the page's last. Everything stamped that arrives while the catch-up
/// runs (the offline DMs delivered after login, live lines) is shown in that
/// section, in id order, with the time it was stored; an id already shown is not
/// shown again.
extension ClientSession {
    /// How an event reached the screen.
    enum Arrival: Equatable {
        case live
        /// Stored while this device was away, fetched at login or reconnect.
        case caughtUp(Date)
        /// Paged back to with `/back`.
        case earlier(Date)

        var storedAt: Date? {
            switch self {
            case .live: nil
            case .caughtUp(let date), .earlier(let date): date
            }
        }

        var isEarlier: Bool {
            if case .earlier = self { true } else { false }
        }
    }

    struct CatchUpRequest {
        let token: String
        var barrierPassed = false
        /// The id of the last stamped event that arrived: when `OK catchup` comes,
        /// the page's last.
        var lastArrived: Int64?
        /// Events of this catch-up shown so far, across its pages.
        var shown = 0
        var headerShown = false
        /// No id was saved on this device: everything the server keeps is new here.
        let firstOnDevice: Bool
    }

    struct HistoryPageRequest {
        let token: String
        var barrierPassed = false
        let target: String
        /// Only events older than this one belong to the page (`before`); nil for
        /// `latest`.
        let before: Int64?
        var shown = 0
    }

    static let catchUpPageLimit = ClientCommand.maxPageLimit
    static let backUsage = "/back [room|user] [count]: earlier messages of a room (default: the current one) or of your DMs with a user"

    // MARK: Catching up

    /// After login, and after each reconnect's login: stamps on or off, and with
    /// them, the catch-up.
    func loggedIn(stamps: Bool) -> [Output] {
        self.stamps = stamps
        guard stamps else { return [] }
        let token = nextToken()
        catchUp = CatchUpRequest(token: token, firstOnDevice: seen.lastSeen == nil)
        seen.catchUpStarted()
        return catchUpPage(after: seen.lastSeen ?? 0, token: token)
    }

    private func catchUpPage(after id: Int64, token: String) -> [Output] {
        [
            .send(ClientCommand.ping(token: token).rendered),
            .send(ClientCommand.catchUp(after: id, limit: Self.catchUpPageLimit).rendered),
        ]
    }

    /// `OK catchup <n>` or `OK catchup <n> more`.
    func catchUpAnswered(_ details: String?) -> [Output] {
        guard var request = catchUp, request.barrierPassed else { return [] }
        let words = details?.split(separator: " ") ?? []
        let more = words.count == 2 && words[1] == "more"
        let count = words.first.flatMap { Int($0) } ?? 0
        if more, count > 0, let last = request.lastArrived {
            seen.pageCompleted(through: last)
            var outputs = flushHeld(through: last, request: &request)
            let token = nextToken()
            catchUp = CatchUpRequest(
                token: token, lastArrived: last, shown: request.shown, headerShown: request.headerShown,
                firstOnDevice: request.firstOnDevice)
            outputs += catchUpPage(after: last, token: token)
            return outputs
        }
        seen.catchUpFinished(through: request.lastArrived)
        return finishCatchUp(&request)
    }

    func catchUpRefused(_ code: ErrorCode, _ text: String) -> [Output] {
        guard var request = catchUp else { return [] }
        seen.catchUpFailed()
        return [.show(.warning("could not fetch what was said while you were away (\(code.rawValue): \(text)); /history <room> shows a room's last messages"))]
            + finishCatchUp(&request)
    }

    private func finishCatchUp(_ request: inout CatchUpRequest) -> [Output] {
        var outputs = flushHeld(through: nil, request: &request)
        if request.headerShown {
            outputs.append(.show(.divider("caught up: \(request.shown) message\(request.shown == 1 ? "" : "s")")))
        }
        catchUp = nil
        return outputs
    }

    /// Shows the held events up to `id` (all of them for nil), in id order, below
    /// the section's heading.
    private func flushHeld(through id: Int64?, request: inout CatchUpRequest) -> [Output] {
        let due = heldForOrder.filter { id == nil || $0.id <= id! }.sorted { $0.id < $1.id }
        heldForOrder.removeAll { id == nil || $0.id <= id! }
        guard !due.isEmpty else { return [] }
        var outputs: [Output] = []
        if !request.headerShown {
            request.headerShown = true
            outputs.append(.show(.divider(request.firstOnDevice ? "earlier messages" : "while you were away")))
        }
        request.shown += due.count
        outputs += due.flatMap { $0.notices.map { Output.show($0) } }
        return outputs
    }

    // MARK: Stamped lines

    func stamped(_ stamp: EventStamp, _ inner: ServerEvent) -> [Output] {
        let storedAt = Date(timeIntervalSince1970: Double(stamp.time.millisecondsSince1970) / 1000)
        switch inner {
        case .history(let room, _, _, _):
            // `/history`'s answer: old by definition, never a repeat of anything.
            noteShown(stamp.id, in: room)
            return [.show(.server(inner))]
        case .ok(let command, _):
            // Our own message, stored: shown when it was typed.
            _ = seen.record(stamp.id)
            if ClientCommand.Kind(rawValue: command) == .say { return [] }
            return serverEvent(inner)
        default:
            break
        }
        if let page = historyPage, page.barrierPassed, page.before.map({ stamp.id < $0 }) ?? seen.contains(stamp.id) {
            historyPage?.shown += 1
            noteShown(stamp.id, in: inner)
            return event(inner, arrival: .earlier(storedAt))
        }
        catchUp?.lastArrived = stamp.id
        guard seen.record(stamp.id) else { return [] }
        noteShown(stamp.id, in: inner)
        guard catchUp != nil else { return event(inner, arrival: .live) }
        // Held for id order; what is to be sent (a key look-up) goes now.
        let outputs = event(inner, arrival: .caughtUp(storedAt))
        let notices = outputs.compactMap { if case .show(let notice) = $0 { notice } else { nil } }
        if !notices.isEmpty { heldForOrder.append((stamp.id, notices)) }
        return outputs.filter { if case .show = $0 { false } else { true } }
    }

    /// A stored event's line, shown according to how it arrived.
    func event(_ event: ServerEvent, arrival: Arrival) -> [Output] {
        switch event {
        case .encryptedDirect(let sender, let payload):
            return receive(payload, peer: sender, sent: false, arrival: arrival)
        case .encryptedDirectSent(let recipient, let payload):
            return receive(payload, peer: recipient, sent: true, arrival: arrival)
        case .message, .direct, .directSent:
            return [.show(present(.server(event), arrival))]
        default:
            return serverEvent(event)
        }
    }

    func present(_ notice: Notice, _ arrival: Arrival) -> Notice {
        arrival.storedAt.map { .stored(notice, storedAt: $0) } ?? notice
    }

    private func noteShown(_ id: Int64, in event: ServerEvent) {
        switch event {
        case .message(let room, _, _): noteShown(id, in: room)
        case .direct(let peer, _), .directSent(let peer, _), .encryptedDirect(let peer, _), .encryptedDirectSent(let peer, _):
            noteShown(id, in: peer)
        default: break
        }
    }

    private func noteShown(_ id: Int64, in conversation: String) {
        let key = conversation.lowercased()
        oldestShown[key] = min(oldestShown[key] ?? id, id)
    }

    // MARK: Paging back

    /// `/back [room|user] [count]`: the page of the conversation before the oldest
    /// event shown of it, or its latest page when none was.
    func back(_ rest: String) -> [Output] {
        var words = rest.split(separator: " ").map(String.init)
        var count = 50
        if let last = words.last, let number = Int(last), words.count <= 2 {
            guard (1...ClientCommand.maxPageLimit).contains(number) else { return usage(Self.backUsage) }
            count = number
            words.removeLast()
        }
        guard words.count <= 1, let target = words.first ?? currentRoom else { return usage(Self.backUsage) }
        let conversation: ConversationTarget
        if target.hasPrefix("#") {
            guard let room = RoomName(target) else { return [.show(.warning("\(target) is not a room name; nothing asked"))] }
            conversation = .room(room)
        } else {
            conversation = .user(target)
        }
        guard stamps else {
            return [.show(.warning("this server does not page history (no /cap ids); /history <room> [count] shows a room's last messages"))]
        }
        let before = oldestShown[target.lowercased()]
        let token = nextToken()
        historyPage = HistoryPageRequest(token: token, target: target, before: before)
        let query = ChatHistoryQuery(before.map { .before($0) } ?? .latest, target: conversation, limit: count)
        return [
            .show(.divider("earlier in \(conversation.display)")),
            .send(ClientCommand.ping(token: token).rendered), .send(ClientCommand.chatHistory(query).rendered),
        ]
    }

    /// `OK chathistory <target> <n> [more]`.
    func historyPageAnswered(_ details: String?, event: ServerEvent) -> [Output] {
        guard let page = historyPage, page.barrierPassed else { return [.show(.server(event))] }
        historyPage = nil
        let more = details?.hasSuffix(" more") == true
        let end =
            page.shown == 0
            ? "nothing earlier in \(page.target)"
            : more ? "\(page.shown) shown; /back \(page.target) for more" : "\(page.shown) shown; the start of what the server keeps"
        return [.show(.server(event)), .show(.divider(end))] + drainQueuedInput()
    }

    func historyPageRefused(_ code: ErrorCode, _ text: String) -> [Output] {
        historyPage = nil
        return [.show(.server(.error(code, text)))] + drainQueuedInput()
    }

    // MARK: Reconnecting

    /// The connection dropped: whatever waited for an answer never gets one.
    func connectionLost() -> [Output] {
        var outputs: [Output] = []
        for lookup in lookups {
            switch lookup.purpose {
            case .send(let text):
                outputs.append(.show(.warning("not sent, the connection dropped first: /msg \(lookup.user) \(text)")))
            case .fingerprint:
                outputs.append(.show(.note("/fingerprint \(lookup.user) got no answer before the connection dropped")))
            case .ownKey, .decrypt:
                break  // asked again after reconnecting
            }
        }
        for line in queuedInput where !LineEditor.holdsPasswords(line) {
            outputs.append(.show(.warning("not sent, the connection dropped first: \(line)")))
        }
        if pendingPassword != nil {
            outputs.append(.show(.warning("the connection dropped before the server answered /passwd: the password may or may not have changed")))
        }
        lookups = []
        queuedInput = []
        runnerBarriers = []
        pendingPublishes = 0
        pendingPassword = nil
        quietJoin = nil
        historyPage = nil
        if var request = catchUp {
            seen.catchUpFailed()
            outputs += finishCatchUp(&request)
        }
        return outputs
    }

    /// Logged in again: the server's current room made ours again, DMs that
    /// waited for a key look-up looked up again, our key checked, and the catch-up.
    func reconnected(stamps: Bool) -> [Output] {
        var outputs: [Output] = []
        if let room = currentRoom.flatMap(RoomName.init), room != .lobby {
            quietJoin = room.display.lowercased()
            outputs.append(.send(ClientCommand.join(room).rendered))
        }
        for peer in awaitingKey.keys.sorted() {
            outputs += startLookup(peer, .decrypt)
        }
        return outputs + start() + loggedIn(stamps: stamps)
    }
}
