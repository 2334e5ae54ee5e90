import ChatModel
import ChatProtocol
import ChatStore
import NIOCore

// What a session needs from the rest of the server, as small protocols: a second
// implementation (a hub split into local fan-out and a bus between nodes; a store a
// network round trip away) slots in behind them without a change to the session.

/// Who is online and in which rooms, as a session asks it. `Hub` is the in-process
/// implementation; messages and membership changes go through `Conversations`, which
/// stores them first and then tells the hub.
protocol ChatRouting: Sendable {
    func register(_ session: SessionHandle, rooms: [RoomName]) -> AccountStatus?
    func register(_ session: SessionHandle, prefetched: LoginPrefetch, now: NIODeadline) -> Hub.PrefetchedRegistration
    func unregister(_ session: SessionHandle)
    func rooms(of account: AccountID) -> [RoomName]
    func room(_ room: RoomName, ifMemberIs account: AccountID) -> RoomName?
    func checkJoin(_ room: RoomName, by account: AccountID) -> Hub.JoinCheck
    var namesPerLine: Int { get }
    var maxRooms: Int { get }
    func membersPage(of room: RoomName, after cursor: String?) -> (room: RoomName, page: NamePage)?
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
    func register(_ session: SessionHandle, prefetched: LoginPrefetch) -> Hub.PrefetchedRegistration {
        register(session, prefetched: prefetched, now: .now())
    }

    func credentialsChanged(_ account: AccountID, _ status: AccountStatus) {
        credentialsChanged(account, status, now: .now())
    }
}

extension Hub: ChatRouting {}
extension AccountDirectory: AccountLookups {}
extension Authenticator: PasswordChecking {}
