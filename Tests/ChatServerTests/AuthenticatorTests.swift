import ChatModel
import ChatCrypto
import ChatStore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import ChatServer
import ChatTestSupport

/// The authenticator against a store that answers slowly: the look-up happens before
/// and outside the hashing work, and admission stays bounded while look-ups wait.
final class AuthenticatorTests: XCTestCase {
    private var store: SQLiteStore!
    private var slow: SlowAccountStore!
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let alice = UserName("alice")!
    private let bob = UserName("bob")!
    /// Shut down at the end of each test, even one that could not await it.
    private var authenticators: [Authenticator] = []

    override func setUp() async throws {
        let folder = try makeTemporaryDirectory()
        store = try SQLiteStore(path: folder.appendingPathComponent("users.db").path)
        let hasher = PasswordHasher(cost: .minimum)
        try store.addUser(alice, passwordHash: try hasher.hash("alice-pw"))
        try store.addUser(bob, passwordHash: try hasher.hash("bob-pw"))
        slow = SlowAccountStore(store)
    }

    override func tearDown() async throws {
        slow.release()
        for authenticator in authenticators {
            await authenticator.shutdown()
        }
        try store.close()
        try await group.shutdownGracefully()
    }

    private func makeAuthenticator(threads: Int, maxQueued: Int) throws -> Authenticator {
        let authenticator = try Authenticator(
            accounts: slow, hasher: PasswordHasher(cost: .minimum), threads: threads, maxQueued: maxQueued,
            logger: Logger(label: "authenticator-test")
        )
        authenticators.append(authenticator)
        return authenticator
    }

    private func waitUntilWaiting(_ count: Int, file: StaticString = #filePath, line: UInt = #line) async throws {
        for _ in 0..<500 where slow.waitingCount < count {
            try await Task.sleep(for: .milliseconds(5))
        }
        XCTAssertEqual(slow.waitingCount, count, "look-ups waiting", file: file, line: line)
    }

    private func assertVerified(
        _ outcome: Authenticator.LoginOutcome, as user: UserName, file: StaticString = #filePath, line: UInt = #line
    ) {
        guard case .verified(let login, _) = outcome else {
            return XCTFail("expected \(user) verified, got \(outcome)", file: file, line: line)
        }
        XCTAssertEqual(login.user, user, file: file, line: line)
    }

    /// With one hashing thread, a login whose look-up is stuck on the store does not
    /// hold that thread: another login is checked meanwhile.
    func testALookUpThatWaitsHoldsNoHashingThread() async throws {
        let authenticator = try makeAuthenticator(threads: 1, maxQueued: 4)
        let loop = group.next()
        slow.hold(alice)
        let stuck = authenticator.verifyLogin(name: "alice", password: "alice-pw", on: loop)
        try await waitUntilWaiting(1)

        assertVerified(try await authenticator.verifyLogin(name: "bob", password: "bob-pw", on: loop).get(), as: bob)

        slow.release()
        assertVerified(try await stuck.get(), as: alice)
        await authenticator.shutdown()
    }

    /// Work waiting for the store still counts against the capacity (threads plus
    /// queue): past it the answer is `busy` at once, and room comes back when the
    /// work ends.
    func testLoginsWaitingForTheStoreCountAgainstTheCapacity() async throws {
        let authenticator = try makeAuthenticator(threads: 1, maxQueued: 1)
        let loop = group.next()
        slow.hold(alice)
        let first = authenticator.verifyLogin(name: "alice", password: "alice-pw", on: loop)
        let second = authenticator.verifyLogin(name: "alice", password: "wrong", on: loop)
        try await waitUntilWaiting(2)

        guard case .busy = try await authenticator.verifyLogin(name: "bob", password: "bob-pw", on: loop).get() else {
            return XCTFail("a third login got in")
        }

        slow.release()
        assertVerified(try await first.get(), as: alice)
        guard case .rejected(reason: "wrong password") = try await second.get() else {
            return XCTFail("the wrong password was not rejected")
        }
        assertVerified(try await authenticator.verifyLogin(name: "bob", password: "bob-pw", on: loop).get(), as: bob)
        await authenticator.shutdown()
    }

    /// Password changes keep to their share (half the threads) even while they wait
    /// for the store, and logins keep the rest.
    func testPasswordChangesWaitingForTheStoreKeepToTheirShare() async throws {
        let authenticator = try makeAuthenticator(threads: 2, maxQueued: 0)
        let loop = group.next()
        guard case .verified(let login, _) = try await authenticator.verifyLogin(name: "alice", password: "alice-pw", on: loop).get() else {
            return XCTFail("alice could not log in")
        }
        slow.hold(account: login.credential.account)
        let change = authenticator.changePassword(login, old: "alice-pw", new: "alice-new", on: loop)
        try await waitUntilWaiting(1)

        guard case .busy = try await authenticator.changePassword(login, old: "alice-pw", new: "other", on: loop).get() else {
            return XCTFail("a second password change got in")
        }
        assertVerified(try await authenticator.verifyLogin(name: "bob", password: "bob-pw", on: loop).get(), as: bob)

        slow.release()
        guard case .changed(let renewed) = try await change.get() else {
            return XCTFail("the password was not changed")
        }
        XCTAssertEqual(renewed.credential.generation, login.credential.generation + 1)
        await authenticator.shutdown()
    }

    /// Logins run their tasks on NIO's threads, not on Swift's global pool: with every
    /// thread of that pool blocked (here on purpose; `ChildProcess` does it by accident
    /// while it reads a child's pipes) a login is still answered.
    func testALoginNeedsNothingFromTheGlobalPool() throws {
        let authenticator = try makeAuthenticator(threads: 1, maxQueued: 1)
        let release = DispatchSemaphore(value: 0)
        // Linux serves each priority from threads of its own: block them all.
        let priorities: [TaskPriority?] = [nil, .high, .medium, .low, .background]
        let blockers = ProcessInfo.processInfo.activeProcessorCount * priorities.count
        for priority in priorities {
            for _ in 0..<ProcessInfo.processInfo.activeProcessorCount {
                Task.detached(priority: priority) { release.wait() }
            }
        }
        defer { for _ in 0..<blockers { release.signal() } }

        let answered = DispatchSemaphore(value: 0)
        let outcome = NIOLockedValueBox<Authenticator.LoginOutcome?>(nil)
        authenticator.verifyLogin(name: "bob", password: "bob-pw", on: group.next()).whenSuccess { result in
            outcome.withLockedValue { $0 = result }
            answered.signal()
        }
        XCTAssertEqual(answered.wait(timeout: .now() + 10), .success, "no answer while the global pool is blocked")
        if let result = outcome.withLockedValue({ $0 }) {
            assertVerified(result, as: bob)
        }
    }

    /// `shutdown()` waits for the work under way, so the login it lets through is
    /// stamped before the store closes.
    func testShutdownWaitsForLoginsUnderWay() async throws {
        let authenticator = try makeAuthenticator(threads: 1, maxQueued: 1)
        slow.hold(alice)
        let stuck = authenticator.verifyLogin(name: "alice", password: "alice-pw", on: group.next())
        try await waitUntilWaiting(1)

        let stopped = Task { await authenticator.shutdown() }
        try await Task.sleep(for: .milliseconds(50))
        slow.release()
        await stopped.value
        assertVerified(try await stuck.get(), as: alice)
        XCTAssertNotNil(try store.user(named: alice)?.lastLoginAt, "the login's stamp was written at shutdown")
    }
}
