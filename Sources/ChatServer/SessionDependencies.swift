import ChatModel
import ChatProtocol
import ChatStore
import NIOCore

// What a session needs from the rest of the server, as small protocols: a second
// implementation (a hub split into local fan-out and a bus between nodes; a store a
// network round trip away) slots in behind them without a change to the session.

/// Where a session's traffic goes: presence, rooms, direct messages. `Hub` is the
/// in-process implementation.
protocol ChatRouting: Sendable {
    func register(_ session: SessionHandle) -> AccountStatus?
    func unregister(_ session: SessionHandle, rooms: [RoomName])
    func join(_ room: RoomName, _ session: SessionHandle) -> RoomName
    func joinWithinLimits(_ room: RoomName, _ session: SessionHandle) -> Hub.JoinOutcome
    func leave(_ room: RoomName, _ session: SessionHandle)
    func existingRoom(_ room: RoomName) -> RoomName?
    func post(_ text: String, to room: RoomName, from session: SessionHandle)
    func roomsPage(after cursor: String?) -> NamePage
    func membersPage(of room: RoomName, after cursor: String?) -> (room: RoomName, page: NamePage)?
    func sendDirect(_ event: ServerEvent, to user: UserName) -> UserName?
    func credentialsChanged(_ account: AccountID, _ status: AccountStatus, now: NIODeadline)
}

/// Account facts that need no password. `AccountDirectory` is the store-backed one.
protocol AccountLookups: Sendable {
    func accountExists(_ user: UserName, on eventLoop: EventLoop) -> EventLoopFuture<Bool>
    func publicKey(of user: UserName, on eventLoop: EventLoop) -> EventLoopFuture<AccountDirectory.KeyLookup>
    func publishKey(_ key: [UInt8], for credential: CredentialStamp, on eventLoop: EventLoop) -> EventLoopFuture<AccountStatus?>
}

/// Password checks, the only way to a `VerifiedLogin`. `Authenticator` runs them on
/// a bounded pool.
protocol PasswordChecking: Sendable {
    func verifyLogin(name: String, password: String, on eventLoop: EventLoop) -> EventLoopFuture<Authenticator.LoginOutcome>
    func changePassword(
        _ login: VerifiedLogin,
        old: String,
        new: String,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<Authenticator.PasswordChangeOutcome>
}

extension ChatRouting {
    func credentialsChanged(_ account: AccountID, _ status: AccountStatus) {
        credentialsChanged(account, status, now: .now())
    }
}

extension Hub: ChatRouting {}
extension AccountDirectory: AccountLookups {}
extension Authenticator: PasswordChecking {}
