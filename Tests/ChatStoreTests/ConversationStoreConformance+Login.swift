import ChatModel
import ChatStore
import Foundation
import XCTest

/// `AccountStore.loginSnapshot(named:)` of a store that keeps conversations too: the
/// account, its rooms and whether direct messages wait, as the separate calls see them.
extension ConversationStoreConformance {
    var loginChecks: [(String, (any Store) async throws -> Void)] {
        [
            ("login snapshot", loginSnapshotAgreesWithTheSeparateCalls),
            ("login snapshot of another account", loginSnapshotSeesOnlyItsOwnAccount),
            ("login snapshot of an account in no room", loginSnapshotOfAnAccountInNoRoom),
        ]
    }

    func loginSnapshotAgreesWithTheSeparateCalls(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        _ = try await store.join(bob, room: room("#Plans"))
        _ = try await store.join(bob, room: room("#art"))

        let fresh = try await XCTUnwrapAsync(try await store.loginSnapshot(named: name("BOB")))
        try assertBlockingReadAgrees(store, "BOB", fresh)
        let record = try await store.account(named: name("bob"))
        XCTAssertEqual(fresh.account, record)
        let rooms = try await store.rooms(of: bob)
        XCTAssertEqual(fresh.rooms, rooms)
        XCTAssertEqual(fresh.rooms?.map(\.display), ["#art", "#lobby", "#Plans"], "ordered by key, spelled as joined")
        XCTAssertEqual(fresh.hasOfflineMessages, false)

        _ = try await store.enqueueOffline(message("while you were out", in: .direct(alice, bob), from: alice), for: bob)
        try await store.leave(bob, room: room("#art"))
        let waiting = try await XCTUnwrapAsync(try await store.loginSnapshot(named: name("bob")))
        XCTAssertEqual(waiting.hasOfflineMessages, true)
        XCTAssertEqual(waiting.rooms?.map(\.display), ["#lobby", "#Plans"], "no cache: the leave is seen")
        try assertBlockingReadAgrees(store, "bob", waiting)

        let taken = try await store.takeOffline(for: bob)
        XCTAssertEqual(taken.map(\.text), ["while you were out"])
        let after = try await XCTUnwrapAsync(try await store.loginSnapshot(named: name("bob")))
        XCTAssertEqual(after.hasOfflineMessages, false, "taken")

        try await store.resetPassword(account: name("bob"), passwordHash: "new")
        let reset = try await XCTUnwrapAsync(try await store.loginSnapshot(named: name("bob")))
        XCTAssertEqual(reset.account.credential.generation, fresh.account.credential.generation + 1)
        XCTAssertEqual(reset.account.passwordHash, "new")

        try await store.deleteAccount(name("bob"))
        let gone = try await store.loginSnapshot(named: name("bob"))
        XCTAssertNil(gone)
        let nobody = try await store.loginSnapshot(named: name("carol"))
        XCTAssertNil(nobody)
        try assertBlockingReadAgrees(store, "bob", nil)
        try assertBlockingReadAgrees(store, "carol", nil)
    }

    /// Another account's rooms and queue are not the login's.
    func loginSnapshotSeesOnlyItsOwnAccount(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        _ = try await store.join(alice, room: room("#alices"))
        _ = try await store.enqueueOffline(message("for alice", in: .direct(alice, bob), from: bob), for: alice)
        let snapshot = try await XCTUnwrapAsync(try await store.loginSnapshot(named: name("bob")))
        XCTAssertEqual(snapshot.account.credential.account, bob)
        XCTAssertEqual(snapshot.rooms?.map(\.display), ["#lobby"])
        XCTAssertEqual(snapshot.hasOfflineMessages, false)
    }

    /// An account that left every room, the lobby too, has no rooms (not unknown ones).
    func loginSnapshotOfAnAccountInNoRoom(_ store: any Store) async throws {
        let bob = try await account(store, "bob")
        try await store.leave(bob, room: .lobby)
        let snapshot = try await XCTUnwrapAsync(try await store.loginSnapshot(named: name("bob")))
        XCTAssertEqual(snapshot.rooms, [])
        XCTAssertEqual(snapshot.account.credential.account, bob)
        try assertBlockingReadAgrees(store, "bob", snapshot)
    }

    /// A store on this machine answers the same from its blocking read.
    private func assertBlockingReadAgrees(_ store: any Store, _ user: String, _ expected: LoginSnapshot?, line: UInt = #line) throws {
        guard let local = store as? any LocalLoginSnapshots else { return }
        XCTAssertEqual(try local.loginSnapshotBlocking(named: name(user)), expected, "blocking read of \(user)", line: line)
    }
}
