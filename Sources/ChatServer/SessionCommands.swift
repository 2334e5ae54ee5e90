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
    let conversations: Conversations
    let accounts: any AccountLookups
    let passwords: any PasswordChecking
    let throttle: LoginThrottle

    func run(_ command: ClientCommand, as login: VerifiedLogin, for session: SessionHandler) {
        guard let handle = session.handle else { return }
        switch command {
        case .message(let text):
            guard let current = session.currentRoom else {
                session.send(.error(.notInRoom, "you are in no room; /join #room first"))
                return
            }
            post(text, to: current, from: handle, for: session)

        case .say(let room, let text):
            post(text, to: room, from: handle, for: session)

        case .join(let room):
            join(room, as: handle, for: session)

        case .leave(let room):
            leave(room, as: handle, for: session)

        case .rooms(let after):
            listRooms(after: after, as: handle, for: session)

        case .who(let requested, let after):
            guard let room = requested ?? session.currentRoom else {
                session.send(.error(.notInRoom, "you are in no room; name one: /who #room"))
                return
            }
            who(room, after: after, as: handle, for: session)

        case .history(let room, let count):
            history(of: room, count: count, as: handle, for: session)

        case .msg(let recipient, let text):
            deliverDirect(text, sealed: false, to: recipient, command: "msg", for: session)

        case .setKey(let key):
            publishKey(key, for: login, session: session)

        case .getKey(let user):
            lookUpKey(of: user, for: session)

        case .encryptedMessage(let recipient, let payload):
            relayEncrypted(payload, to: recipient, for: session)

        case .chatHistory(let query):
            chatHistory(query, as: handle, for: session)

        case .catchUp(let after, let limit):
            catchUp(after: after, limit: limit, as: handle, for: session)

        case .login, .ping, .pong, .help, .quit, .passwd, .capList, .capRequest:
            // Handled by the state machine; it never forwards these.
            break
        }
    }

    private func post(_ text: String, to room: RoomName, from handle: SessionHandle, for session: SessionHandler) {
        guard let name = router.room(room, ifMemberIs: handle.credential.account) else {
            session.send(.error(.notInRoom, "you are not in \(room.display)"))
            return
        }
        conversations.post(text, to: name, from: handle)
    }

    private func join(_ room: RoomName, as handle: SessionHandle, for session: SessionHandler) {
        switch router.checkJoin(room, by: handle.credential.account) {
        case .alreadyMember(let name):
            session.makeCurrent(name)
            session.send(.ok(command: "join", details: name.display))
            return
        case .accountAtLimit(let limit):
            session.send(.error(.tooManyRooms, "account limit: you are in \(limit) rooms besides #lobby, the most allowed; /leave one first"))
            return
        case .allowed:
            break
        }
        guard let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        conversations.join(room, as: handle, maxRooms: router.maxRooms, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(.joined(let name)):
                session.makeCurrent(name)
                session.send(.ok(command: "join", details: name.display))
            case .success(.serverAtLimit(let limit)):
                session.send(.error(.tooManyRooms, "server limit: there are \(limit) rooms besides #lobby, the most allowed; join an existing one"))
            case .success(.notInvited):
                session.send(.error(.notInvited, "\(room.display) is private; its owner must /invite you"))
            case .success(.noSuchAccount):
                session.credentialsChanged(.deleted)
            case .failure(let error):
                session.log(.error, "join not stored", ["error": "\(error)"])
                session.send(.error(.notStored, "membership not stored, try again later"))
            }
            session.endOperation()
        }
    }

    private func leave(_ room: RoomName, as handle: SessionHandle, for session: SessionHandler) {
        guard router.room(room, ifMemberIs: handle.credential.account) != nil else {
            session.send(.error(.notInRoom, "you are not in \(room.display)"))
            return
        }
        guard let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        conversations.leave(room, as: handle, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let name):
                session.roomLeft(name, remaining: router.rooms(of: handle.credential.account))
                session.send(.ok(command: "leave", details: name.display))
            case .failure(let error):
                session.log(.error, "leave not stored", ["error": "\(error)"])
                session.send(.error(.notStored, "membership not stored, try again later"))
            }
            session.endOperation()
        }
    }

    /// `/who`: the members of `room` who are online. A member asks the hub; anyone
    /// else learns from the store whether the room exists and may be looked into (a
    /// private room is not, to a non-member).
    private func who(_ room: RoomName, after: String?, as handle: SessionHandle, for session: SessionHandler) {
        // The cursor is only compared with user keys (lowercase), so any word will do:
        // a name no account has still says where to go on.
        let cursor = after?.lowercased()
        func answer(_ name: RoomName) {
            let page = router.membersPage(of: name, after: cursor)?.page ?? NamePage([UserName](), after: nil, limit: 1)
            session.send(.users(room: name.display, page.names, more: page.hasMore))
        }
        if let name = router.room(room, ifMemberIs: handle.credential.account) {
            answer(name)
            return
        }
        guard let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        conversations.roomInfo(room, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(nil):
                session.send(.error(.noSuchRoom, "\(room.display) does not exist"))
            case .success(let info?) where info.isPrivate:
                session.send(.error(.notInRoom, "\(info.name.display) is private and you are not in it"))
            case .success(let info?):
                answer(info.name)
            case .failure(let error):
                session.log(.error, "room not read", ["error": "\(error)"])
                session.send(.error(.busy, "server busy, try again shortly"))
            }
            session.endOperation()
        }
    }

    private func listRooms(after cursor: RoomName?, as handle: SessionHandle, for session: SessionHandler) {
        guard let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        let limit = router.namesPerLine
        conversations.roomsPage(for: handle.credential.account, after: cursor, limit: limit, on: eventLoop).assumeIsolated().whenComplete {
            result in
            switch result {
            case .success(let page):
                session.send(.rooms(page.rooms.map(\.name.display), more: page.more))
            case .failure(let error):
                session.log(.error, "rooms not read", ["error": "\(error)"])
                session.send(.error(.busy, "server busy, try again shortly"))
            }
            session.endOperation()
        }
    }

    private func history(of room: RoomName, count: Int, as handle: SessionHandle, for session: SessionHandler) {
        guard let name = router.room(room, ifMemberIs: handle.credential.account) else {
            session.send(.error(.notInRoom, "you are not in \(room.display)"))
            return
        }
        guard let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        conversations.history(of: name, count: count, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let lines):
                for (line, stamp) in lines {
                    session.send(line, stamp: stamp)
                }
                session.send(.ok(command: "history", details: "\(name.display) \(lines.count)"))
            case .failure(let error):
                session.log(.error, "history not read", ["error": "\(error)"])
                session.send(.error(.busy, "history unavailable, try again shortly"))
            }
            session.endOperation()
        }
    }

    /// Stores a DM (plain or end-to-end) and hands it to every session of
    /// `recipient`, or queues it for their next login; answers `OK <command> <user>`,
    /// or why not.
    func deliverDirect(_ body: String, sealed: Bool, to recipient: String, command: String, for session: SessionHandler) {
        guard let target = UserName(recipient) else {
            session.send(.error(.noSuchUser, "no such user"))
            return
        }
        guard let handle = session.handle, let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        conversations.sendDirect(body, sealed: sealed, to: target, from: handle, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(.delivered(let name, let stamp)):
                session.send(.ok(command: command, details: name.display), stamp: stamp)
            case .success(.queued(let name, let stamp)):
                session.send(.ok(command: command, details: name.display), stamp: stamp)
            case .success(.noSuchUser):
                session.send(.error(.noSuchUser, "no such user"))
            case .success(.mailboxFull):
                session.send(.error(.mailboxFull, "\(target.display) has too many messages waiting; try again after they log in"))
            case .success(.notStored):
                session.send(.error(.notStored, "message not stored, so not sent; try again later"))
            case .failure(let error):
                session.log(.error, "direct message failed", ["error": "\(error)"])
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
