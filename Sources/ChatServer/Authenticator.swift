import ChatCrypto
import ChatModel
import ChatStore
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Checks and changes passwords on a bounded pool of threads, away from the event
/// loops: one Argon2id run takes ~100 ms of CPU and 64 MiB, which would stall every
/// session on a loop and let a login flood exhaust memory.
///
/// At most `threads` checks run at once; at most `maxQueued` more wait. Past that the
/// caller hears `busy` immediately, so a flood costs the server almost nothing.
/// Password changes may hold at most `passwordChangeShare` of those places, so
/// sessions hammering `/passwd` cannot starve logins.
final class Authenticator: Sendable {
    private let store: UserStore
    private let hasher: PasswordHasher
    private let pool: NIOThreadPool
    private let loginRecorder: LoginRecorder
    private let capacity: Int
    private let inFlight = Atomic<Int>(0)
    /// Places (running or queued) that password changes may hold: half the threads,
    /// at least one. Logins always keep the rest.
    private let passwordChangeShare: Int
    private let passwordChangesInFlight = Atomic<Int>(0)
    /// Unknown users are checked against this, so that "no such user" costs the same
    /// time as "wrong password" and cannot be told apart by timing.
    private let dummyHash: String
    private let logger: Logger
    private let metrics: ServerMetrics?

    init(store: UserStore, hasher: PasswordHasher, threads: Int, maxQueued: Int, logger: Logger, metrics: ServerMetrics? = nil) throws {
        self.store = store
        self.metrics = metrics
        self.loginRecorder = LoginRecorder(store: store, logger: logger, metrics: metrics)
        self.hasher = hasher
        self.capacity = max(1, threads) + max(0, maxQueued)
        self.passwordChangeShare = max(1, threads / 2)
        self.logger = logger
        self.dummyHash = try hasher.hash("securechat dummy password \(UInt64.random(in: .min ... .max))")
        self.pool = NIOThreadPool(numberOfThreads: max(1, threads))
        self.pool.start()
    }

    /// Waits for the checks in progress, then writes the login stamps still pending.
    func shutdown() async {
        try? await pool.shutdownGracefully()
        await loginRecorder.shutdown()
    }

    /// Verifies `password` for the account `name` (as typed; it may not even be a
    /// valid name). Succeeds only for an existing, unlocked account with that password.
    func verifyLogin(name: String, password: String, on eventLoop: EventLoop) -> EventLoopFuture<LoginOutcome> {
        runBounded(on: eventLoop, whenBusy: .busy) { [store, hasher, dummyHash, loginRecorder, logger] in
            let userName = UserName(name)
            let record = try userName.flatMap { try store.user(named: $0) }
            // Always run exactly one verification, whatever is wrong with the request.
            let matches = hasher.verify(password, against: record?.passwordHash ?? dummyHash)
            guard let record else {
                return .rejected(reason: userName == nil ? "invalid user name" : "no such user")
            }
            guard matches else { return .rejected(reason: "wrong password") }
            guard !record.isLocked else { return .rejected(reason: "account locked") }
            if hasher.needsRehash(record.passwordHash) {
                // The account was made with weaker parameters: upgrade while the
                // plaintext is at hand. This write carries the login's stamp too. A
                // failure here must not fail the login.
                do {
                    try store.upgradePasswordHash(try hasher.hash(password), for: record.name)
                    logger.info("password hash upgraded", metadata: ["user": "\(record.name)"])
                } catch {
                    logger.warning("password hash upgrade failed", metadata: ["user": "\(record.name)", "error": "\(error)"])
                    loginRecorder.record(record.name, timingOn: eventLoop)
                }
            } else {
                loginRecorder.record(record.name, timingOn: eventLoop)
            }
            return .verified(Authenticator.makeVerifiedLogin(record.name, record.credential))
        }
    }

    enum PasswordChangeOutcome: Sendable {
        /// Changed; the session goes on under the new credentials.
        case changed(VerifiedLogin)
        case wrongPassword
        /// The session's credentials are no longer current (locked, deleted, reset
        /// or changed elsewhere): nothing was changed, and the session must end.
        case stale(AccountStatus)
        case busy
    }

    /// Replaces the password of the account `login` holds after checking the current
    /// one; the new hash uses the configured cost. The check and the write both
    /// require `login`'s credentials to be current.
    func changePassword(
        _ login: VerifiedLogin,
        old: String,
        new: String,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<PasswordChangeOutcome> {
        let admitted = passwordChangesInFlight.add(1, ordering: .relaxed).newValue <= passwordChangeShare
        guard admitted else {
            passwordChangesInFlight.subtract(1, ordering: .relaxed)
            return eventLoop.makeSucceededFuture(.busy)
        }
        return runBounded(on: eventLoop, whenBusy: .busy) { [store, hasher, dummyHash] in
            let record = try store.user(id: login.credential.account)
            let status: AccountStatus =
                switch record {
                case nil: .deleted
                case let record? where record.isLocked: .locked(generation: record.credential.generation)
                case let record?: .active(generation: record.credential.generation)
                }
            // Still one verification whatever the account's state, as at login.
            let matches = hasher.verify(old, against: record?.passwordHash ?? dummyHash)
            guard let record, status.admits(login.credential) else { return .stale(status) }
            guard matches else { return .wrongPassword }
            guard let credential = try store.changePassword(to: try hasher.hash(new), for: record.credential) else {
                // Changed by someone else between the check and the write.
                return .stale(.active(generation: login.credential.generation + 1))
            }
            return .changed(Authenticator.makeVerifiedLogin(record.name, credential))
        }.always { _ in
            self.passwordChangesInFlight.subtract(1, ordering: .relaxed)
        }
    }

    private func runBounded<Result: Sendable>(
        on eventLoop: EventLoop,
        whenBusy: Result,
        _ work: @escaping @Sendable () throws -> Result
    ) -> EventLoopFuture<Result> {
        let admitted = inFlight.add(1, ordering: .relaxed).newValue <= capacity
        guard admitted else {
            inFlight.subtract(1, ordering: .relaxed)
            return eventLoop.makeSucceededFuture(whenBusy)
        }
        return pool.runIfActive(eventLoop: eventLoop, metrics?.timingHashWait(work) ?? work).always { _ in
            self.inFlight.subtract(1, ordering: .relaxed)
        }
    }
}
