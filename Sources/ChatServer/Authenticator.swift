import ChatCrypto
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
final class Authenticator: Sendable {
    private let store: UserStore
    private let hasher: PasswordHasher
    private let pool: NIOThreadPool
    private let loginRecorder: LoginRecorder
    private let capacity: Int
    private let inFlight = Atomic<Int>(0)
    /// Unknown users are checked against this, so that "no such user" costs the same
    /// time as "wrong password" and cannot be told apart by timing.
    private let dummyHash: String
    private let logger: Logger

    init(store: UserStore, hasher: PasswordHasher, threads: Int, maxQueued: Int, logger: Logger) throws {
        self.store = store
        self.loginRecorder = LoginRecorder(store: store, logger: logger)
        self.hasher = hasher
        self.capacity = max(1, threads) + max(0, maxQueued)
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
            return .verified(Authenticator.makeVerifiedLogin(record.name))
        }
    }

    enum PasswordChangeOutcome: Sendable {
        case changed
        case wrongPassword
        case busy
    }

    /// Replaces `user`'s password after checking the current one; the new hash uses
    /// the configured cost.
    func changePassword(
        user: UserName,
        old: String,
        new: String,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<PasswordChangeOutcome> {
        runBounded(on: eventLoop, whenBusy: .busy) { [store, hasher] in
            guard let record = try store.user(named: user),
                hasher.verify(old, against: record.passwordHash)
            else { return .wrongPassword }
            try store.setPasswordHash(try hasher.hash(new), for: user)
            return .changed
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
        return pool.runIfActive(eventLoop: eventLoop, work).always { _ in
            self.inFlight.subtract(1, ordering: .relaxed)
        }
    }
}
