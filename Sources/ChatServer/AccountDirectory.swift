import ChatModel
import ChatStore
import NIOCore

/// Account look-ups that need no password: does a user exist, what is their public
/// key, what changed. The stores' calls are async and block no thread, so each runs in
/// a task of its own (`makeFutureWithNIOTask`), apart from the Argon2id pool: a login
/// flood cannot delay them. The answer comes back on the caller's event loop.
final class AccountDirectory: Sendable {
    private let accounts: any AccountStore
    private let keys: any PublicKeyStore

    init(accounts: any AccountStore, keys: any PublicKeyStore) {
        self.accounts = accounts
        self.keys = keys
    }

    func accountExists(_ user: UserName, on eventLoop: EventLoop) -> EventLoopFuture<Bool> {
        eventLoop.makeFutureWithNIOTask { [accounts] in
            try await accounts.account(named: user) != nil
        }
    }

    enum KeyLookup: Sendable {
        case found(user: UserName, key: [UInt8])
        case noKey(UserName)
        case noSuchUser
    }

    func publicKey(of user: UserName, on eventLoop: EventLoop) -> EventLoopFuture<KeyLookup> {
        eventLoop.makeFutureWithNIOTask { [accounts, keys] in
            guard let record = try await accounts.account(named: user) else { return .noSuchUser }
            guard let key = try await keys.publicKey(of: user) else { return .noKey(record.name) }
            return .found(user: record.name, key: key)
        }
    }

    /// Publishes the key of the account `credential` names. Returns nil when stored,
    /// or, storing nothing, the account's status when `credential` is no longer
    /// current.
    func publishKey(_ key: [UInt8], for credential: CredentialStamp, on eventLoop: EventLoop) -> EventLoopFuture<AccountStatus?> {
        eventLoop.makeFutureWithNIOTask { [accounts, keys] in
            if try await keys.setPublicKey(key, for: credential) { return nil }
            return try await accounts.account(id: credential.account)?.status ?? .deleted
        }
    }

    /// The account change feed (see `AccountStore.accountChanges`).
    func accountChanges(after sequence: Int64, on eventLoop: EventLoop) -> EventLoopFuture<[AccountChange]> {
        eventLoop.makeFutureWithNIOTask { [accounts] in
            try await accounts.accountChanges(after: sequence)
        }
    }

    /// The feed's newest position and a pruning of entries no server still needs.
    func prepareAccountChangeFeed(keeping age: Double, on eventLoop: EventLoop) -> EventLoopFuture<Int64> {
        eventLoop.makeFutureWithNIOTask { [accounts] in
            try await accounts.pruneAccountChanges(olderThan: age)
            return try await accounts.latestAccountChange()
        }
    }
}
