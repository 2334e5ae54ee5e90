import ChatProtocol
import NIOCore

/// A set of sessions kept grouped by event loop, so that fanning a message out is
/// one task per loop over arrays that already exist: no per-message grouping and no
/// per-message allocation beyond the task itself.
struct SessionGroups {
    private(set) var groups: [(loop: EventLoop, sessions: [SessionHandle])] = []
    private var members: Set<SessionID> = []

    var isEmpty: Bool { members.isEmpty }
    var count: Int { members.count }

    func contains(_ id: SessionID) -> Bool {
        members.contains(id)
    }

    /// Adds `session`; false if it was there already.
    @discardableResult
    mutating func insert(_ session: SessionHandle) -> Bool {
        guard members.insert(session.id).inserted else { return false }
        if let index = groups.firstIndex(where: { $0.loop === session.eventLoop }) {
            groups[index].sessions.append(session)
        } else {
            groups.append((session.eventLoop, [session]))
        }
        return true
    }

    /// Removes the session with `id`; false if it was not there. O(members on its
    /// loop): joins and leaves are rare next to messages.
    @discardableResult
    mutating func remove(_ id: SessionID) -> Bool {
        guard members.remove(id) != nil else { return false }
        for index in groups.indices {
            if let position = groups[index].sessions.firstIndex(where: { $0.id == id }) {
                groups[index].sessions.remove(at: position)
                if groups[index].sessions.isEmpty { groups.remove(at: index) }
                break
            }
        }
        return true
    }

    var sessions: some Sequence<SessionHandle> {
        groups.lazy.flatMap(\.sessions)
    }

    /// Runs `body` for every session, each on its own loop.
    func forEach(_ body: @escaping @Sendable (SessionHandle) -> Void) {
        for group in groups {
            let sessions = group.sessions
            group.loop.execute {
                sessions.forEach(body)
            }
        }
    }

    /// Hands `delivery` to every session but `excluded`, each on its own loop. Called
    /// with the hub's lock held, which is what orders one room's messages the same
    /// way for everyone. `excluded` (the sender) gets `acknowledgement` instead, in
    /// the same loop task: no task of its own per message.
    func dispatch(_ delivery: Delivery, excluding excluded: SessionID? = nil, acknowledgement: StoredAcknowledgement? = nil) {
        for group in groups {
            let sessions = group.sessions
            group.loop.execute {
                for session in sessions {
                    if session.id != excluded {
                        session.deliver(delivery)
                    } else if let acknowledgement {
                        session.acknowledgeStoredOnLoop(acknowledgement)
                    }
                }
            }
        }
    }
}

/// What a sender hears once its message is stored (if it asked for stamps).
struct StoredAcknowledgement: Sendable {
    let stamp: EventStamp
    let command: String
    let details: String
}
