import ChatModel
import ChatStore
import NIOCore

extension Hub {
    /// What became of a login that brought its own read of the store.
    enum PrefetchedRegistration: Equatable {
        /// In. `takeOfflineQueue`: the account's queue of direct messages must be
        /// taken, because the read found some or because one may have been queued
        /// after it.
        case registered(takeOfflineQueue: Bool)
        /// The credentials changed after the password was checked: nothing was added.
        case refused(AccountStatus)
        /// The read may have missed a change of the account's rooms this hub saw (or
        /// is too old for the hub to tell): nothing was added; read them again and
        /// `register(_:rooms:)`.
        case roomsOutdated
    }

    /// `register(_:rooms:)` with the rooms and offline queue the login's look-up of
    /// the account read at `prefetch.readAt`, so that a login needs no further trip to
    /// the store when nothing it read can have changed since.
    ///
    /// What could have: the account joining or leaving a room itself (on another
    /// session, gone again by now: while one is here the hub's copy is used anyway),
    /// which the read may predate; kicks and drops, which `register(_:rooms:)` filters
    /// out already; and a direct message queued for the account after the read
    /// (`HubDirectory.recentOfflineLookups`). The hub remembers these for
    /// `recentChangeMemory`, so an older read is not trusted at all.
    func register(_ session: SessionHandle, prefetched prefetch: LoginPrefetch, now: NIODeadline = .now()) -> PrefetchedRegistration {
        let account = session.credential.account
        return directory.withLockedValue { directory in
            let fresh = now - prefetch.readAt < Self.recentChangeMemory
            let rooms: [RoomName]
            if directory.memberships[account] != nil {
                rooms = []
            } else if fresh, let read = prefetch.rooms, (directory.recentMembershipChanges[account].map { $0 < prefetch.readAt } ?? true) {
                rooms = read
            } else {
                return .roomsOutdated
            }
            if let change = Self.register(session, rooms: rooms, in: &directory) {
                return .refused(change)
            }
            let mayWait =
                !fresh || prefetch.hasOfflineMessages != false
                || directory.mayHaveQueuedDirectMessages(for: account, named: session.user)
            return .registered(takeOfflineQueue: mayWait)
        }
    }
}
