import ChatModel
import ChatProtocol
import ChatStore
import NIOCore

/// The commands of a logged-in session: rooms, messages, DMs, password changes.
extension SessionHandler {
    func run(_ command: ClientCommand, as login: VerifiedLogin) {
        guard let handle = currentHandle else { return }
        switch command {
        case .message(let text):
            guard let room = currentMembership.current else {
                send(.error(.notInRoom, "you are in no room; /join #room first"))
                return
            }
            hub.post(text, to: room, from: handle)

        case .say(let room, let text):
            guard currentMembership.contains(room) else {
                send(notMemberError(room))
                return
            }
            hub.post(text, to: room, from: handle)

        case .join(let room):
            switch hub.joinWithinLimits(room, handle) {
            case .joined(let joined):
                updateMembership { $0.join(joined) }
                send(.ok(command: "join", details: joined.display))
            case .accountAtLimit(let limit):
                send(.error(.tooManyRooms, "account limit: your sessions are in \(limit) rooms besides #lobby, the most allowed; /leave one first"))
            case .serverAtLimit(let limit):
                send(.error(.tooManyRooms, "server limit: there are \(limit) rooms besides #lobby, the most allowed; join an existing one"))
            }

        case .leave(let room):
            guard currentMembership.contains(room) else {
                send(notMemberError(room))
                return
            }
            let name = hub.existingRoom(room) ?? room
            hub.leave(room, handle)
            updateMembership { $0.leave(room) }
            send(.ok(command: "leave", details: name.display))

        case .rooms(let after):
            let page = hub.roomsPage(after: after?.key)
            send(.rooms(page.names, more: page.hasMore))

        case .who(let requested, let after):
            guard let room = requested ?? currentMembership.current else {
                send(.error(.notInRoom, "you are in no room; name one: /who #room"))
                return
            }
            // The cursor is only compared with user keys (lowercase), so any word
            // will do: a name no account has still says where to go on.
            guard let members = hub.membersPage(of: room, after: after?.lowercased()) else {
                send(.error(.noSuchRoom, "\(room.display) does not exist"))
                return
            }
            send(.users(room: members.room.display, members.page.names, more: members.page.hasMore))

        case .msg(let recipient, let text):
            deliverDirect(.direct(sender: login.user.display, text: text), to: recipient, command: "msg")

        case .setKey(let key):
            publishKey(key, for: login)

        case .getKey(let user):
            lookUpKey(of: user)

        case .encryptedMessage(let recipient, let payload):
            relayEncrypted(payload, to: recipient, from: login.user)

        case .login, .ping, .pong, .help, .quit, .passwd:
            // Handled by the state machine; it never forwards these.
            break
        }
    }

    private func notMemberError(_ room: RoomName) -> ServerEvent {
        if hub.existingRoom(room) == nil {
            return .error(.noSuchRoom, "\(room.display) does not exist")
        }
        return .error(.notInRoom, "you are not in \(room.display)")
    }

    /// Delivers a DM (plain or end-to-end) to every session of `recipient`, and
    /// answers `OK <command> <user>`, or why not.
    func deliverDirect(_ event: ServerEvent, to recipient: String, command: String) {
        guard let target = UserName(recipient) else {
            send(.error(.noSuchUser, "no such user"))
            return
        }
        if let delivered = hub.sendDirect(event, to: target) {
            send(.ok(command: command, details: delivered.display))
            return
        }
        // Not online: ask the store whether the account exists at all, off the loop.
        guard let eventLoop = currentEventLoop else { return }
        beginOperation()
        directory.accountExists(target, on: eventLoop).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(true):
                send(.error(.userOffline, "\(target.display) is not connected"))
            case .success(false):
                send(.error(.noSuchUser, "no such user"))
            case .failure(let error):
                logError("account lookup failed", error)
                send(.error(.busy, "server busy, try again shortly"))
            }
            endOperation()
        }
    }

    /// `/passwd`: penalised and capped like a login (a session must not be a free
    /// password oracle), re-checked against the account's current credentials, and on
    /// success the account's other sessions end.
    func changePassword(_ login: VerifiedLogin, old: String, new: String) {
        guard let eventLoop = currentEventLoop else { return }
        beginPasswordChange()
        let address = currentPeerAddress
        let account = login.user.display
        let penalty = loginThrottle.delay(address: address, account: account)
        let changed: EventLoopFuture<Authenticator.PasswordChangeOutcome>
        if penalty > .zero {
            changed = eventLoop.flatScheduleTask(in: penalty) { [authenticator] in
                authenticator.changePassword(login, old: old, new: new, on: eventLoop)
            }.futureResult
        } else {
            changed = authenticator.changePassword(login, old: old, new: new, on: eventLoop)
        }
        changed.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(.changed(let renewed)):
                loginThrottle.recordSuccess(address: address, account: account)
                logInfo("password changed")
                passwordChangeSucceeded(renewed)
                // The other sessions end; this one already holds the new generation.
                hub.credentialsChanged(renewed.credential.account, .active(generation: renewed.credential.generation))
            case .success(.wrongPassword):
                loginThrottle.recordFailure(address: address, account: account)
                logNotice("password change refused: wrong current password")
                passwordChangeRejected()
            case .success(.stale(let status)):
                logNotice("password change refused: the account changed since login")
                endSession(status)
            case .success(.busy):
                send(.error(.busy, "server busy, try again shortly"))
            case .failure(let error):
                logError("password change failed", error)
                send(.error(.busy, "password not changed, try again later"))
            }
            endPasswordChange()
        }
    }
}
