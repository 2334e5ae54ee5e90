import ChatCrypto
import ChatModel
import ChatStore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Checks and changes passwords. The account is looked up first (at login together with
/// what entering the hub needs, in one read); the Argon2id work runs on a bounded pool
/// of threads, away from the event loops: one run takes ~100 ms of CPU and 64 MiB,
/// which would stall every session on a loop and let a login flood exhaust memory. A
/// store a network round trip away is awaited before the hashing thread is taken, so
/// that none idles while it answers; the embedded file is read on that thread.
///
/// At most `threads` hashes run at once. `HashingAdmission` caps the work under way;
/// past it the caller hears `busy` immediately.
final class Authenticator: Sendable {
    private struct State {
        var admission: HashingAdmission
        /// `shutdown()` waiting for the work under way to end.
        var whenIdle: [CheckedContinuation<Void, Never>] = []
    }

    private let accounts: any AccountStore
    private let hasher: PasswordHasher
    private let pool: NIOThreadPool
    private let loginRecorder: LoginRecorder
    /// Unknown users are checked against this, so that "no such user" costs the same
    /// time as "wrong password" and cannot be told apart by timing.
    private let dummyHash: String
    private let logger: Logger
    private let state: NIOLockedValueBox<State>
    private let metrics: ServerMetrics?

    init(accounts: any AccountStore, hasher: PasswordHasher, threads: Int, maxQueued: Int, logger: Logger, metrics: ServerMetrics? = nil) throws {
        self.accounts = accounts
        self.metrics = metrics
        self.loginRecorder = LoginRecorder(accounts: accounts, logger: logger, metrics: metrics)
        self.hasher = hasher
        self.state = NIOLockedValueBox(State(admission: HashingAdmission(threads: threads, maxQueued: maxQueued)))
        self.logger = logger
        self.dummyHash = try hasher.hash("securechat dummy password \(UInt64.random(in: .min ... .max))")
        self.pool = NIOThreadPool(numberOfThreads: max(1, threads))
        self.pool.start()
    }

    /// Waits for the checks in progress, then writes the login stamps still pending.
    func shutdown() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLockedValue { state in
                if !state.admission.isIdle { state.whenIdle.append(continuation) }
                return state.admission.isIdle
            }
            if idle { continuation.resume() }
        }
        try? await pool.shutdownGracefully()
        await loginRecorder.shutdown()
    }

    /// Verifies `password` for the account `name` (as typed; it may not even be a
    /// valid name). Succeeds only for an existing, unlocked account with that password.
    ///
    /// From a store on this machine (`LocalLoginSnapshots`) the look-up runs on the
    /// hashing thread, just before the check: one trip off the event loop per login.
    /// From any other store, the look-up is awaited first, so that no hashing thread
    /// waits on the store.
    func verifyLogin(name: String, password: String, on eventLoop: EventLoop) -> EventLoopFuture<LoginOutcome> {
        guard admit(.login) else { return eventLoop.makeSucceededFuture(.busy) }
        let userName = UserName(name)
        let checked: EventLoopFuture<PasswordCheck>
        if let local = accounts as? any LocalLoginSnapshots {
            checked = pool.runIfActive(
                eventLoop: eventLoop,
                timingHashWait { [self] in
                    let readAt = NIODeadline.now()
                    let snapshot = try userName.flatMap { try local.loginSnapshotBlocking(named: $0) }
                    return check(password, against: snapshot, readAt: readAt)
                }
            )
        } else {
            checked = eventLoop.makeFutureWithNIOTask { [self] in
                let readAt = NIODeadline.now()
                let snapshot = if let userName { try await accounts.loginSnapshot(named: userName) } else { LoginSnapshot?.none }
                return try await pool.runIfActive(timingHashWait { [self] in check(password, against: snapshot, readAt: readAt) })
            }
        }
        return checked.flatMap { [self] check in
            concluded(check, for: userName, on: eventLoop)
        }.always { [self] _ in
            finish(.login)
        }
    }

    /// What a login's trip to the hashing pool found out.
    private struct PasswordCheck: Sendable {
        let snapshot: LoginSnapshot?
        /// Taken before the look-up began.
        let readAt: NIODeadline
        let matches: Bool
        /// A stronger hash of the password, when the account's is weaker than configured.
        let upgradedHash: String?
    }

    /// Argon2id work of a login, on a hashing thread.
    private func check(_ password: String, against snapshot: LoginSnapshot?, readAt: NIODeadline) -> PasswordCheck {
        let record = snapshot?.account
        // Always run exactly one verification, whatever is wrong with the request.
        let matches = hasher.verify(password, against: record?.passwordHash ?? dummyHash)
        var upgradedHash: String?
        if let record, matches, !record.isLocked, hasher.needsRehash(record.passwordHash) {
            // The account was made with weaker parameters: hash again while the
            // plaintext is at hand. A failure here must not fail the login.
            do {
                upgradedHash = try hasher.hash(password)
            } catch {
                logger.warning("password hash upgrade failed", metadata: ["user": "\(record.name)", "error": "\(error)"])
            }
        }
        return PasswordCheck(snapshot: snapshot, readAt: readAt, matches: matches, upgradedHash: upgradedHash)
    }

    /// The verdict on a checked login; a verified one is stamped, or its hash upgraded.
    private func concluded(_ check: PasswordCheck, for userName: UserName?, on eventLoop: EventLoop) -> EventLoopFuture<LoginOutcome> {
        guard let snapshot = check.snapshot else {
            return eventLoop.makeSucceededFuture(.rejected(reason: userName == nil ? "invalid user name" : "no such user"))
        }
        let record = snapshot.account
        guard check.matches else { return eventLoop.makeSucceededFuture(.rejected(reason: "wrong password")) }
        guard !record.isLocked else { return eventLoop.makeSucceededFuture(.rejected(reason: "account locked")) }
        let verified = LoginOutcome.verified(
            VerifiedLogin(user: record.name, credential: record.credential),
            LoginPrefetch(snapshot, readAt: check.readAt)
        )
        guard let upgradedHash = check.upgradedHash else {
            loginRecorder.record(record.name, timingOn: eventLoop)
            return eventLoop.makeSucceededFuture(verified)
        }
        return eventLoop.makeFutureWithNIOTask { [self] in
            await upgrade(record, to: upgradedHash, timingOn: eventLoop)
            return verified
        }
    }

    /// Stores a stronger hash of the password just verified; the write carries the
    /// login's stamp too.
    private func upgrade(_ record: UserRecord, to hash: String, timingOn eventLoop: EventLoop) async {
        do {
            if try await accounts.upgradePasswordHash(hash, for: record.credential, loggedInAt: Date()) {
                logger.info("password hash upgraded", metadata: ["user": "\(record.name)"])
            } else {
                // Locked, reset or deleted during the check: the newer credentials
                // stand, and the hub turns this login away.
                logger.info("password hash not upgraded: the account changed during the check", metadata: ["user": "\(record.name)"])
            }
        } catch {
            logger.warning("password hash upgrade failed", metadata: ["user": "\(record.name)", "error": "\(error)"])
            loginRecorder.record(record.name, timingOn: eventLoop)
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
        runAdmitted(.passwordChange, on: eventLoop, whenBusy: .busy) { [self] in
            let record = try await accounts.account(id: login.credential.account)
            let status = record?.status ?? .deleted
            let current = record != nil && status.admits(login.credential)
            let (matches, newHash) = try await hashing { [hasher, dummyHash] in
                // Still one verification whatever the account's state, as at login.
                let matches = hasher.verify(old, against: record?.passwordHash ?? dummyHash)
                guard current, matches else { return (matches, String?.none) }
                return (matches, try hasher.hash(new))
            }
            guard let record, current else { return .stale(status) }
            guard matches, let newHash else { return .wrongPassword }
            guard let credential = try await accounts.changePassword(to: newHash, for: record.credential) else {
                // Changed by someone else between the check and the write.
                return .stale(.active(generation: login.credential.generation + 1))
            }
            return .changed(VerifiedLogin(user: record.name, credential: credential))
        }
    }

    /// Argon2id work for the pool, timing its wait for a thread when metrics are on.
    private func timingHashWait<Result: Sendable>(
        _ work: @escaping @Sendable () throws -> Result
    ) -> @Sendable () throws -> Result {
        metrics?.timingHashWait(work) ?? work
    }

    /// Runs Argon2id work on the pool.
    private func hashing<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await pool.runIfActive(timingHashWait(work))
    }

    /// Runs `work` in a task if admission lets it in; otherwise answers `whenBusy` at
    /// once, on the caller's loop.
    private func runAdmitted<Result: Sendable>(
        _ kind: HashingAdmission.Work,
        on eventLoop: EventLoop,
        whenBusy: Result,
        _ work: @escaping @Sendable () async throws -> Result
    ) -> EventLoopFuture<Result> {
        guard admit(kind) else {
            return eventLoop.makeSucceededFuture(whenBusy)
        }
        return eventLoop.makeFutureWithNIOTask { [self] in
            defer { finish(kind) }
            return try await work()
        }
    }

    /// Whether `kind` of work may start now; every admitted piece ends with `finish`.
    private func admit(_ kind: HashingAdmission.Work) -> Bool {
        state.withLockedValue { $0.admission.admit(kind) }
    }

    private func finish(_ kind: HashingAdmission.Work) {
        let waiting = state.withLockedValue { state in
            state.admission.finish(kind)
            guard state.admission.isIdle else { return [CheckedContinuation<Void, Never>]() }
            defer { state.whenIdle = [] }
            return state.whenIdle
        }
        for continuation in waiting { continuation.resume() }
    }
}

/// Proof that a password was checked against the store. Only `Authenticator` can make
/// one, and the session's authenticated state cannot be entered without it.
///
/// It names the account by identity and credential generation as well as by name: a
/// session speaks for that account only while the generation is current, and never
/// for a different account later created under the same name.
struct VerifiedLogin: Sendable, Equatable {
    let user: UserName
    let credential: CredentialStamp

    /// Deliberately the only initialiser, and private to this file: nothing but a
    /// password check in `Authenticator` (tests included) can make one.
    fileprivate init(user: UserName, credential: CredentialStamp) {
        self.user = user
        self.credential = credential
    }
}

extension Authenticator {
    /// Outcome of a login attempt. `rejected` carries the real reason for the log; the
    /// peer sees one generic reply whatever it is.
    enum LoginOutcome: Sendable {
        /// With what the account's look-up read besides, for entering the hub.
        case verified(VerifiedLogin, LoginPrefetch)
        case rejected(reason: String)
        case busy
    }

}
