import ChatModel
import ChatProtocol
import ChatStore
import NIOCore

/// The commands of a logged-in session: rooms, messages, DMs, keys, password
/// changes. It reaches the rest of the server only through the protocols in
/// `SessionDependencies.swift`, and the session only through its handler's narrow
/// interface (send, operations, membership, results for its state machine).
struct SessionCommands: Sendable {
    let router: any ChatRouting
    let accounts: any AccountLookups
    let passwords: any PasswordChecking
    let throttle: LoginThrottle

    func run(_ command: ClientCommand, as login: VerifiedLogin, for session: SessionHandler) {
        guard let handle = session.handle else { return }
        switch command {
        case .message(let text):
            guard let room = session.membership.current else {
                session.send(.error(.notInRoom, "you are in no room; /join #room first"))
                return
            }
            router.post(text, to: room, from: handle)

        case .say(let room, let text):
            guard session.membership.contains(room) else {
                session.send(notMemberError(room))
                return
            }
            router.post(text, to: room, from: handle)

        case .join(let room):
            switch router.joinWithinLimits(room, handle) {
            case .joined(let joined):
                session.updateMembership { $0.join(joined) }
                session.send(.ok(command: "join", details: joined.display))
            case .accountAtLimit(let limit):
                session.send(.error(.tooManyRooms, "account limit: your sessions are in \(limit) rooms besides #lobby, the most allowed; /leave one first"))
            case .serverAtLimit(let limit):
                session.send(.error(.tooManyRooms, "server limit: there are \(limit) rooms besides #lobby, the most allowed; join an existing one"))
            }

        case .leave(let room):
            guard session.membership.contains(room) else {
                session.send(notMemberError(room))
                return
            }
            let name = router.existingRoom(room) ?? room
            router.leave(room, handle)
            session.updateMembership { $0.leave(room) }
            session.send(.ok(command: "leave", details: name.display))

        case .rooms(let after):
            let page = router.roomsPage(after: after?.key)
            session.send(.rooms(page.names, more: page.hasMore))

        case .who(let requested, let after):
            guard let room = requested ?? session.membership.current else {
                session.send(.error(.notInRoom, "you are in no room; name one: /who #room"))
                return
            }
            // The cursor is only compared with user keys (lowercase), so any word
            // will do: a name no account has still says where to go on.
            guard let members = router.membersPage(of: room, after: after?.lowercased()) else {
                session.send(.error(.noSuchRoom, "\(room.display) does not exist"))
                return
            }
            session.send(.users(room: members.room.display, members.page.names, more: members.page.hasMore))

        case .msg(let recipient, let text):
            deliverDirect(.direct(sender: login.user.display, text: text), to: recipient, command: "msg", for: session)

        case .setKey(let key):
            publishKey(key, for: login, session: session)

        case .getKey(let user):
            lookUpKey(of: user, for: session)

        case .encryptedMessage(let recipient, let payload):
            relayEncrypted(payload, to: recipient, from: login.user, for: session)

        case .login, .ping, .pong, .help, .quit, .passwd:
            // Handled by the state machine; it never forwards these.
            break
        }
    }

    private func notMemberError(_ room: RoomName) -> ServerEvent {
        if router.existingRoom(room) == nil {
            return .error(.noSuchRoom, "\(room.display) does not exist")
        }
        return .error(.notInRoom, "you are not in \(room.display)")
    }

    /// Delivers a DM (plain or end-to-end) to every session of `recipient`, and
    /// answers `OK <command> <user>`, or why not.
    func deliverDirect(_ event: ServerEvent, to recipient: String, command: String, for session: SessionHandler) {
        guard let target = UserName(recipient) else {
            session.send(.error(.noSuchUser, "no such user"))
            return
        }
        if let delivered = router.sendDirect(event, to: target) {
            session.send(.ok(command: command, details: delivered.display))
            return
        }
        // Not online: ask the store whether the account exists at all, off the loop.
        guard let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        accounts.accountExists(target, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(true):
                session.send(.error(.userOffline, "\(target.display) is not connected"))
            case .success(false):
                session.send(.error(.noSuchUser, "no such user"))
            case .failure(let error):
                session.log(.error, "account lookup failed", ["error": "\(error)"])
                session.send(.error(.busy, "server busy, try again shortly"))
            }
            session.endOperation()
        }
    }

    /// `/passwd`: penalised and capped like a login (a session must not be a free
    /// password oracle), re-checked against the account's current credentials, and on
    /// success the account's other sessions end.
    func changePassword(_ login: VerifiedLogin, old: String, new: String, for session: SessionHandler) {
        guard let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        let address = session.peerAddress
        let account = login.user.display
        let penalty = throttle.delay(address: address, account: account)
        let changed: EventLoopFuture<Authenticator.PasswordChangeOutcome>
        if penalty > .zero {
            session.services.metrics?.penalties.increment()
            changed =
                eventLoop.flatScheduleTask(in: penalty) { [passwords] in
                    passwords.changePassword(login, old: old, new: new, on: eventLoop)
                }.futureResult
        } else {
            changed = passwords.changePassword(login, old: old, new: new, on: eventLoop)
        }
        changed.assumeIsolated().whenComplete { result in
            switch result {
            case .success(.changed(let renewed)):
                throttle.recordSuccess(address: address, account: account)
                session.log(.info, "password changed")
                session.apply { $0.passwordChanged(renewed) }
                // The other sessions end; this one already holds the new generation.
                router.credentialsChanged(renewed.credential.account, .active(generation: renewed.credential.generation))
            case .success(.wrongPassword):
                throttle.recordFailure(address: address, account: account)
                session.log(.notice, "password change refused: wrong current password")
                session.apply { $0.passwordRejected() }
            case .success(.stale(let status)):
                session.log(.notice, "password change refused: the account changed since login")
                session.apply { $0.passwordChangeRefused(status) }
            case .success(.busy):
                session.apply { $0.passwordChangeFailed(.error(.busy, "server busy, try again shortly")) }
            case .failure(let error):
                session.log(.error, "password change failed", ["error": "\(error)"])
                session.apply { $0.passwordChangeFailed(.error(.busy, "password not changed, try again later")) }
            }
            session.endOperation()
        }
    }
}
