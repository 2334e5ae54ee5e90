import ChatModel
import ChatProtocol
import ChatStore
import NIOCore

/// What a room owner's commands change for the sessions here, once the store has
/// made the change (see `Conversations+RoomOwners.swift`). Each notice is
/// dispatched under the hub's lock, so it takes its place in the room's one order:
/// a member kicked or a room dropped gets no message the hub hands out after it.
extension Hub {
    /// The store invited `account` to `room`: its sessions here see `INVITE`, unless
    /// it is in the room already (an invitation changes nothing it would notice).
    func invited(_ room: RoomName, account: AccountID, by owner: UserName) {
        let notice = Delivery(ServerEvent.invited(room: room.display, by: owner.display).rendered(allocator: allocator))
        directory.withLockedValue { directory in
            guard directory.memberships[account]?[room.key] == nil, let key = directory.onlineAccounts[account] else { return }
            directory.online[key]?.dispatch(notice)
        }
    }

    /// The store removed `account` (`user`) from `room` and its invitation: the room's
    /// sessions here and the account's own see `KICK`, then the account's sessions
    /// leave the room's fan-out. `asker`, the owner's session, is answered by the
    /// caller.
    func kicked(_ room: RoomName, account: AccountID, user: UserName, by owner: UserName, asker: SessionID, now: NIODeadline = .now()) {
        let notice = Delivery(ServerEvent.kicked(room: room.display, user: user.display, by: owner.display).rendered(allocator: allocator))
        directory.withLockedValue { directory in
            directory.recentKicks[account, default: [:]][room.key] = now
            let wasMember = directory.memberships[account]?.removeValue(forKey: room.key) != nil
            directory.rooms[room.key]?.sessions.dispatch(notice, excluding: asker)
            guard let key = directory.onlineAccounts[account], let own = directory.online[key] else { return }
            if wasMember {
                for session in own.sessions {
                    directory.detach(session.id, from: room)
                }
            } else {
                // Only invited: not in the fan-out, so told directly.
                own.dispatch(notice)
            }
        }
    }

    /// The owner set (or, with nil, cleared) the topic of `room`: its sessions here
    /// but `asker` see `TOPIC`.
    func topicChanged(_ room: RoomName, to topic: String?, asker: SessionID) {
        let notice = Delivery(ServerEvent.topic(room: room.display, text: topic).rendered(allocator: allocator))
        directory.withLockedValue { directory in
            directory.rooms[room.key]?.sessions.dispatch(notice, excluding: asker)
        }
    }

    /// The store deleted `room`: its sessions here but `asker` see `DROP`, and every
    /// account here loses the membership.
    func dropped(_ room: RoomName, by owner: UserName, asker: SessionID, now: NIODeadline = .now()) {
        let notice = Delivery(ServerEvent.dropped(room: room.display, by: owner.display).rendered(allocator: allocator))
        directory.withLockedValue { directory in
            directory.recentDrops[room.key] = now
            guard let entry = directory.rooms.removeValue(forKey: room.key) else { return }
            entry.sessions.dispatch(notice, excluding: asker)
            for session in entry.sessions.sessions {
                directory.memberships[session.credential.account]?[room.key] = nil
            }
        }
    }
}
