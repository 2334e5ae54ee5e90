import ChatStore
import NIOCore
import NIOPosix

/// Account look-ups that need no password: does a user exist, what is their public
/// key. SQLite calls block, so they run on a small pool of their own, off the event
/// loops and apart from the Argon2id pool, so a login flood cannot delay them.
final class AccountDirectory: Sendable {
    private let store: SQLiteStore
    private let pool: NIOThreadPool

    init(store: SQLiteStore, threads: Int = 1) {
        self.store = store
        self.pool = NIOThreadPool(numberOfThreads: max(1, threads))
        self.pool.start()
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
    }

    func accountExists(_ user: UserName, on eventLoop: EventLoop) -> EventLoopFuture<Bool> {
        pool.runIfActive(eventLoop: eventLoop) { [store] in
            try store.user(named: user) != nil
        }
    }

    enum KeyLookup: Sendable {
        case found(user: UserName, key: [UInt8])
        case noKey(UserName)
        case noSuchUser
    }

    func publicKey(of user: UserName, on eventLoop: EventLoop) -> EventLoopFuture<KeyLookup> {
        pool.runIfActive(eventLoop: eventLoop) { [store] in
            guard let record = try store.user(named: user) else { return .noSuchUser }
            guard let key = try store.publicKey(for: user) else { return .noKey(record.name) }
            return .found(user: record.name, key: key)
        }
    }

    /// Publishes the key of the account `credential` names. Returns nil when stored,
    /// or, storing nothing, the account's status when `credential` is no longer
    /// current.
    func publishKey(_ key: [UInt8], for credential: CredentialStamp, on eventLoop: EventLoop) -> EventLoopFuture<AccountStatus?> {
        pool.runIfActive(eventLoop: eventLoop) { [store] in
            if try store.setPublicKey(key, for: credential) { return nil }
            return try store.status(of: credential.account)
        }
    }

    /// The account change feed (see `SQLiteStore.accountChanges`), read off the loops.
    func accountChanges(after sequence: Int64, on eventLoop: EventLoop) -> EventLoopFuture<[AccountChange]> {
        pool.runIfActive(eventLoop: eventLoop) { [store] in
            try store.accountChanges(after: sequence)
        }
    }

    /// The feed's newest position and a pruning of entries no server still needs.
    func prepareAccountChangeFeed(keeping age: Double, on eventLoop: EventLoop) -> EventLoopFuture<Int64> {
        pool.runIfActive(eventLoop: eventLoop) { [store] in
            try store.pruneAccountChanges(olderThan: age)
            return try store.latestAccountChange()
        }
    }
}
