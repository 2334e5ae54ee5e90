import ChatModel
import ChatStore
import Foundation
import NIOConcurrencyHelpers

/// A real store whose look-ups of chosen accounts wait until the test releases them,
/// as a store a slow network round trip away would: to show what the server does
/// while it waits for the store.
final class SlowAccountStore: AccountStore {
    private struct State {
        var heldNames: Set<String> = []
        var heldAccounts: Set<AccountID> = []
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let store: SQLiteStore
    private let state = NIOLockedValueBox(State())

    init(_ store: SQLiteStore) {
        self.store = store
    }

    /// Look-ups of `name`, and of `account`, wait from now on until `release()`.
    func hold(_ name: UserName? = nil, account: AccountID? = nil) {
        state.withLockedValue { state in
            if let name { state.heldNames.insert(name.key) }
            if let account { state.heldAccounts.insert(account) }
        }
    }

    /// How many look-ups are waiting.
    var waitingCount: Int {
        state.withLockedValue { $0.waiting.count }
    }

    /// Lets every waiting look-up go on, and later ones through at once.
    func release() {
        let waiting = state.withLockedValue { state in
            state.heldNames = []
            state.heldAccounts = []
            defer { state.waiting = [] }
            return state.waiting
        }
        waiting.forEach { $0.resume() }
    }

    private func waitIfHeld(_ isHeld: @escaping @Sendable (State) -> Bool) async {
        await withCheckedContinuation { continuation in
            let held = state.withLockedValue { state in
                guard isHeld(state) else { return false }
                state.waiting.append(continuation)
                return true
            }
            if !held { continuation.resume() }
        }
    }

    func account(named name: UserName) async throws -> UserRecord? {
        await waitIfHeld { $0.heldNames.contains(name.key) }
        return try await store.account(named: name)
    }

    func account(id: AccountID) async throws -> UserRecord? {
        await waitIfHeld { $0.heldAccounts.contains(id) }
        return try await store.account(id: id)
    }

    // The rest as the real store does it.

    func allAccounts() async throws -> [UserRecord] { try await store.allAccounts() }
    func addAccount(_ name: UserName, passwordHash: String) async throws { try await store.addAccount(name, passwordHash: passwordHash) }
    func deleteAccount(_ name: UserName) async throws -> Bool { try await store.deleteAccount(name) }
    func setLocked(_ locked: Bool, account name: UserName) async throws -> Bool { try await store.setLocked(locked, account: name) }
    func resetPassword(account name: UserName, passwordHash: String) async throws -> Bool {
        try await store.resetPassword(account: name, passwordHash: passwordHash)
    }
    func changePassword(to passwordHash: String, for stamp: CredentialStamp) async throws -> CredentialStamp? {
        try await store.changePassword(to: passwordHash, for: stamp)
    }
    func upgradePasswordHash(_ passwordHash: String, for stamp: CredentialStamp, loggedInAt date: Date) async throws -> Bool {
        try await store.upgradePasswordHash(passwordHash, for: stamp, loggedInAt: date)
    }
    func recordLogins(_ logins: [UserName: Date]) async throws { try await store.recordLogins(logins) }
    func latestAccountChange() async throws -> Int64 { try await store.latestAccountChange() }
    func accountChanges(after sequence: Int64, limit: Int) async throws -> [AccountChange] {
        try await store.accountChanges(after: sequence, limit: limit)
    }
    func pruneAccountChanges(olderThan age: TimeInterval) async throws { try await store.pruneAccountChanges(olderThan: age) }
}
