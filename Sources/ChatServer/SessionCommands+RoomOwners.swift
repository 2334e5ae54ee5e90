import ChatModel
import ChatProtocol
import ChatStore
import NIOCore

/// Private rooms and topics: `/private`, `/public`, `/invite`, `/kick`, `/topic`,
/// `/drop`. The store decides who owns what; these turn its answers into lines.
extension SessionCommands {
    func setPrivate(_ room: RoomName, _ isPrivate: Bool, as handle: SessionHandle, for session: SessionHandler) {
        // Every new account starts in the lobby whatever its state, and nobody can
        // be kept out of it, so it stays public and cannot be deleted.
        if isPrivate, room == .lobby {
            session.send(.error(.badArguments, "\(RoomName.lobby.display) stays public: every account starts there"))
            return
        }
        let command = isPrivate ? ClientCommand.Kind.makePrivate : .makePublic
        runOwnerCommand(command, for: session) { eventLoop in
            conversations.setPrivate(room, isPrivate, as: handle, on: eventLoop)
        }
    }

    func invite(_ user: String, to room: RoomName, as handle: SessionHandle, for session: SessionHandler) {
        runOwnerCommand(.invite, user: user, for: session) { eventLoop in
            conversations.invite(user, to: room, as: handle, on: eventLoop)
        }
    }

    func kick(_ user: String, from room: RoomName, as handle: SessionHandle, for session: SessionHandler) {
        runOwnerCommand(.kick, user: user, for: session) { eventLoop in
            conversations.kick(user, from: room, as: handle, on: eventLoop)
        }
    }

    func setTopic(of room: RoomName, to topic: String?, as handle: SessionHandle, for session: SessionHandler) {
        if let topic, topic.utf8.count > ProtocolLimits.maxTopicLength {
            session.send(.error(.badArguments, "topics are limited to \(ProtocolLimits.maxTopicLength) bytes"))
            return
        }
        runOwnerCommand(.topic, for: session) { eventLoop in
            conversations.setTopic(topic, of: room, as: handle, on: eventLoop)
        }
    }

    func drop(_ room: RoomName, as handle: SessionHandle, for session: SessionHandler) {
        if room == .lobby {
            session.send(.error(.badArguments, "\(RoomName.lobby.display) cannot be dropped: every account starts there"))
            return
        }
        runOwnerCommand(.drop, for: session) { eventLoop in
            conversations.drop(room, as: handle, on: eventLoop)
        }
    }

    /// `/topic <room>`: for members, and for anyone when the room is public, as `/who`.
    func showTopic(of room: RoomName, as handle: SessionHandle, for session: SessionHandler) {
        guard let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        conversations.roomInfo(room, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(nil):
                session.send(.error(.noSuchRoom, "\(room.display) does not exist"))
            case .success(let info?) where info.isPrivate && router.room(room, ifMemberIs: handle.credential.account) == nil:
                session.send(.error(.notInRoom, "\(info.name.display) is private and you are not in it"))
            case .success(let info?):
                session.send(.topic(room: info.name.display, text: info.topic))
            case .failure(let error):
                session.log(.error, "room not read", ["error": "\(error)"])
                session.send(.error(.busy, "server busy, try again shortly"))
            }
            session.endOperation()
        }
    }

    /// Runs an owner's command and answers it: `OK <command> [user] <room>`, or why not.
    private func runOwnerCommand(
        _ command: ClientCommand.Kind,
        user: String? = nil,
        for session: SessionHandler,
        _ start: (EventLoop) -> EventLoopFuture<Conversations.OwnerOutcome>
    ) {
        guard let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        start(eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(.done(let room, let user)):
                let details = user.map { "\($0.display) \(room.display)" } ?? room.display
                session.send(.ok(command: command.rawValue, details: details))
            case .success(.refused(let refusal)):
                session.send(Self.refusal(refusal, user: user))
            case .failure(let error):
                session.log(.error, "room change not stored", ["command": "\(command.rawValue)", "error": "\(error)"])
                session.send(.error(.notStored, "change not stored, try again later"))
            }
            session.endOperation()
        }
    }

    private static func refusal(_ refusal: OwnerActionResult, user: String?) -> ServerEvent {
        switch refusal {
        case .noSuchRoom:
            return .error(.noSuchRoom, "no such room")
        case .notOwner:
            return .error(.notOwner, "only the room's owner can do that")
        case .noSuchAccount:
            return .error(.noSuchUser, "no such user")
        case .notMember:
            return .error(.notInRoom, "\(user ?? "they") is neither in the room nor invited to it")
        case .cannotKickOwner:
            return .error(.badArguments, "you own the room: /leave it, or /drop it")
        case .done:
            // Never a refusal (see `OwnerOutcome`); answered rather than trapped.
            return .error(.busy, "server busy, try again shortly")
        }
    }
}
