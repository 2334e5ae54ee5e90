import ChatModel
import Foundation

/// Where accounts live: names, password hashes, lock state, credential generations,
/// last-login times, and the feed of credential changes that running servers read.
///
/// The server sees accounts only through this protocol, so the store may be an
/// embedded file (`SQLiteStore`) or a database a network round trip away. What every
/// implementation must keep (`AccountStoreConformance` in the tests checks it):
///
/// - **Names** are matched by `UserName.key`, so `Alice` and `alice` are one account;
///   the spelling given at creation is what the store hands back.
/// - **Identity**: `AccountID`s are never handed out twice, not even after deletion.
///   A name deleted and created again is a different account, and nothing that held
///   the old one (a session, a stamp, a public key) reaches the new one.
/// - **Generations**: a lock, an unlock, an administrator's reset and a session's
///   password change each raise the account's generation by one; deletion ends the
///   account. Nothing else does: not a hash upgrade at login, not a last-login stamp,
///   not locking an account that is already locked.
/// - **Stale stamps**: a `CredentialStamp` is current while its account exists,
///   is unlocked, and is still at the stamp's generation; otherwise it is stale. A
///   write that takes a stamp checks this in the same transaction as the write, and
///   for a stale stamp changes nothing and says so.
/// - **No cache**: a change committed by anyone (this process, `chat-useradd`,
///   another node) is seen by the next call.
/// - **Feed**: every generation raise and every deletion appears in the change feed,
///   whoever made it. See `accountChanges(after:limit:)`.
/// - Calls never block the caller's thread while waiting for the disk or the network:
///   the server makes them from tasks, next to its event loops.
public protocol AccountStore: Sendable {
    /// The account called `name` (any case), or nil.
    func account(named name: UserName) async throws -> UserRecord?

    /// The account called `name` (any case) as `account(named:)` finds it, with what
    /// else a login reads (see `LoginSnapshot`), all from one snapshot, in one trip to
    /// the store; nil when there is no such account. A store that keeps conversations
    /// too fills those parts in (`ConversationStoreConformance` checks it); one that
    /// keeps none leaves them nil, as the default implementation does.
    func loginSnapshot(named name: UserName) async throws -> LoginSnapshot?

    /// The account with identity `id`, whatever it is called now, or nil once deleted.
    func account(id: AccountID) async throws -> UserRecord?

    /// Every account, ordered by `UserName.key`.
    func allAccounts() async throws -> [UserRecord]

    /// Adds an unlocked account that has never logged in. A store that also keeps rooms
    /// makes it a member of the lobby in the same transaction (see `RoomStore`).
    ///
    /// - Throws: `StoreError.duplicateUser` when the name exists in any case. The
    ///   store itself decides, so two writers racing for one name cannot both win.
    func addAccount(_ name: UserName, passwordHash: String) async throws

    /// Removes the account and its public key; false when there was none.
    @discardableResult
    func deleteAccount(_ name: UserName) async throws -> Bool

    /// Locks or unlocks the account; false when there is none. Only a change of state
    /// raises the generation.
    @discardableResult
    func setLocked(_ locked: Bool, account name: UserName) async throws -> Bool

    /// Replaces the account's password hash (an administrator's reset) and raises the
    /// generation, whatever the account's state; false when there is none.
    @discardableResult
    func resetPassword(account name: UserName, passwordHash: String) async throws -> Bool

    /// Replaces the password of the account a session holds `stamp` for and raises the
    /// generation, only while `stamp` is current: a session must not change the
    /// password of an account that was locked, deleted or reset behind its back.
    /// Returns the new stamp, or nil, changing nothing, when `stamp` is stale.
    func changePassword(to passwordHash: String, for stamp: CredentialStamp) async throws -> CredentialStamp?

    /// Replaces the hash of an account that just logged in (same password, stronger
    /// parameters) and notes the login, in one write, only while `stamp` is current,
    /// so a reset or a re-created account made during the login is never overwritten.
    /// The generation stays: the account's sessions go on. False when `stamp` is stale.
    @discardableResult
    func upgradePasswordHash(_ passwordHash: String, for stamp: CredentialStamp, loggedInAt date: Date) async throws -> Bool

    /// Notes many successful logins, each account with its own time, in one write.
    /// Accounts deleted meanwhile are skipped, never created again. Not a change to
    /// the account: neither the generation nor `updatedAt` moves.
    func recordLogins(_ logins: [UserName: Date]) async throws

    /// The newest position in the change feed (0 when it is empty); a reader that
    /// starts now asks for the changes after it.
    func latestAccountChange() async throws -> Int64

    /// Feed entries after position `sequence`, oldest first, at most `limit`.
    ///
    /// One entry per generation raise or deletion, each with the account's status at
    /// the time of reading, not at the time of the change: reading an entry twice, or
    /// reading from the start, never ends a session that is still entitled to run.
    /// Positions only grow, and an entry becomes visible only after every entry with a
    /// smaller position, so a reader that remembers the last position it saw misses
    /// nothing. Cheap enough to poll every second.
    func accountChanges(after sequence: Int64, limit: Int) async throws -> [AccountChange]

    /// Drops feed entries older than `age` seconds; newer ones stay. Readers only need
    /// what happened since they last looked.
    func pruneAccountChanges(olderThan age: TimeInterval) async throws
}

extension AccountStore {
    public func loginSnapshot(named name: UserName) async throws -> LoginSnapshot? {
        try await account(named: name).map { LoginSnapshot(account: $0, rooms: nil, hasOfflineMessages: nil) }
    }

    /// Feed entries after `sequence`, at most 1,000 at a time.
    public func accountChanges(after sequence: Int64) async throws -> [AccountChange] {
        try await accountChanges(after: sequence, limit: 1_000)
    }
}
