import ChatModel
import ChatStore
import NIOCore

/// A room owner's commands: the store first (which checks ownership again in the
/// transaction that makes the change), then the hub, which tells the sessions here.
extension Conversations {
    /// What became of an owner's command.
    enum OwnerOutcome: Sendable, Equatable {
        /// Done: the room as its creator spelled it, and for `invite` and `kick` the
        /// user as the account spells it.
        case done(RoomName, user: UserName?)
        /// Nothing changed; never `.done`. A user name no account has is
        /// `.noSuchAccount`.
        case refused(OwnerActionResult)
    }

    /// Makes `room` private (invite-only) or public again; members stay.
    func setPrivate(_ room: RoomName, _ isPrivate: Bool, as session: SessionHandle, on eventLoop: EventLoop) -> EventLoopFuture<OwnerOutcome> {
        let owner = session.credential.account
        return ownerCommand(room, as: session, on: eventLoop) { [store] info in
            let result = try await store.setPrivate(room, isPrivate, by: owner)
            return result == .done ? .done(info.name, user: nil) : .refused(result)
        }
    }

    /// Invites the account named `user`; its sessions here see `INVITE`.
    func invite(_ user: String, to room: RoomName, as session: SessionHandle, on eventLoop: EventLoop) -> EventLoopFuture<OwnerOutcome> {
        let owner = session.credential.account
        return ownerCommand(room, as: session, on: eventLoop) { [store, accounts, hub] info in
            guard let name = UserName(user), let record = try await accounts.account(named: name) else { return .refused(.noSuchAccount) }
            let invitee = record.credential.account
            let result = try await store.invite(invitee, to: room, by: owner)
            guard result == .done else { return .refused(result) }
            if invitee != owner {
                hub.invited(info.name, account: invitee, by: session.user)
            }
            return .done(info.name, user: record.name)
        }
    }

    /// Ends the membership and invitation of the account named `user`; the room's
    /// sessions here and the account's see `KICK`.
    func kick(_ user: String, from room: RoomName, as session: SessionHandle, on eventLoop: EventLoop) -> EventLoopFuture<OwnerOutcome> {
        let owner = session.credential.account
        return ownerCommand(room, as: session, on: eventLoop) { [store, accounts, hub] info in
            guard let name = UserName(user), let record = try await accounts.account(named: name) else { return .refused(.noSuchAccount) }
            let kicked = record.credential.account
            let result = try await store.kick(kicked, from: room, by: owner)
            guard result == .done else { return .refused(result) }
            hub.kicked(info.name, account: kicked, user: record.name, by: session.user, asker: session.id)
            return .done(info.name, user: record.name)
        }
    }

    /// Sets the topic (the caller bounded it), or clears it with nil; the room's
    /// sessions here see `TOPIC`.
    func setTopic(_ topic: String?, of room: RoomName, as session: SessionHandle, on eventLoop: EventLoop) -> EventLoopFuture<OwnerOutcome> {
        let owner = session.credential.account
        return ownerCommand(room, as: session, on: eventLoop) { [store, hub] info in
            let result = try await store.setTopic(room, topic, by: owner)
            guard result == .done else { return .refused(result) }
            hub.topicChanged(info.name, to: topic, asker: session.id)
            return .done(info.name, user: nil)
        }
    }

    /// Deletes `room` with its memberships and invitations; its sessions here see
    /// `DROP`. Its messages stay in the log until retention removes them.
    func drop(_ room: RoomName, as session: SessionHandle, on eventLoop: EventLoop) -> EventLoopFuture<OwnerOutcome> {
        let owner = session.credential.account
        return ownerCommand(room, as: session, on: eventLoop) { [store, hub] info in
            let result = try await store.deleteRoom(room, by: owner)
            guard result == .done else { return .refused(result) }
            hub.dropped(info.name, by: session.user, asker: session.id)
            return .done(info.name, user: nil)
        }
    }

    /// Runs `body` once the room is known to exist and be the session's account's.
    /// The store checks again as it changes the room; checking first too makes the
    /// refusals come in one order (no such room, not the owner, then no such user,
    /// so that a command about someone else's room tells nothing about accounts)
    /// and gives the room's spelling for the answer.
    private func ownerCommand(
        _ room: RoomName,
        as session: SessionHandle,
        on eventLoop: EventLoop,
        _ body: @escaping @Sendable (RoomInfo) async throws -> OwnerOutcome
    ) -> EventLoopFuture<OwnerOutcome> {
        let owner = session.credential.account
        return eventLoop.makeFutureWithNIOTask { [store] in
            guard let info = try await store.roomInfo(room) else { return .refused(.noSuchRoom) }
            guard info.owner == owner else { return .refused(.notOwner) }
            return try await body(info)
        }
    }
}
