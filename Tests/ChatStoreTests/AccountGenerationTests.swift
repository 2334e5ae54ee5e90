@testable import ChatStore
import Foundation
import GRDB
import XCTest

/// Account identities, credential generations and the change feed that carries them
/// to running servers.
final class AccountGenerationTests: XCTestCase {
    private var path = ""

    override func setUpWithError() throws {
        path = try makeTemporaryDirectory().appendingPathComponent("users.db").path
    }

    private func name(_ text: String) -> UserName { UserName(text)! }

    private func stamp(_ store: SQLiteStore, _ user: String) throws -> CredentialStamp {
        try XCTUnwrap(try store.user(named: name(user))).credential
    }

    func testRecreatedNameIsAnotherAccount() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(name("bob"), passwordHash: "b")
        try store.addUser(name("alice"), passwordHash: "a1")
        let old = try stamp(store, "alice")
        // alice holds the highest id: without AUTOINCREMENT SQLite would hand it out again.
        XCTAssertTrue(try store.deleteUser(name("alice")))
        try store.addUser(name("alice"), passwordHash: "a2")
        let new = try stamp(store, "alice")

        XCTAssertNotEqual(new.account, old.account)
        XCTAssertNil(try store.user(id: old.account))
        XCTAssertFalse(try store.setPublicKey([UInt8](repeating: 7, count: 32), for: old), "old session cannot key the new alice")
        XCTAssertNil(try store.changePassword(to: "x", for: old))
        XCTAssertNil(try store.publicKey(for: name("alice")))
        XCTAssertEqual(try store.user(named: name("alice"))?.passwordHash, "a2")
    }

    func testLockUnlockAndResetRaiseTheGenerationAndFeedTheChange() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(name("alice"), passwordHash: "a")
        let start = try store.latestAccountChange()
        let first = try stamp(store, "alice")

        XCTAssertTrue(try store.setLocked(true, for: name("alice")))
        XCTAssertEqual(try stamp(store, "alice").generation, first.generation + 1)
        XCTAssertTrue(try store.setLocked(true, for: name("alice")), "locking a locked account is no change")
        XCTAssertEqual(try stamp(store, "alice").generation, first.generation + 1)
        XCTAssertTrue(try store.setLocked(false, for: name("alice")))
        XCTAssertTrue(try store.setPasswordHash("b", for: name("alice")))
        XCTAssertEqual(try stamp(store, "alice").generation, first.generation + 3)

        let changes = try store.accountChanges(after: start)
        XCTAssertEqual(changes.count, 3)
        XCTAssertEqual(changes.map(\.account), Array(repeating: first.account, count: 3))
        XCTAssertEqual(changes.map(\.sequence), changes.map(\.sequence).sorted())
        // The feed tells the state now, not then: every entry says "active at +3".
        XCTAssertEqual(changes.last?.status, .active(generation: first.generation + 3))
        XCTAssertFalse(changes[0].status.admits(first))
        XCTAssertEqual(try store.accountChanges(after: changes.last!.sequence), [])
    }

    func testLockedAndDeletedAccountsAdmitNoSession() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(name("alice"), passwordHash: "a")
        let alice = try stamp(store, "alice")
        let start = try store.latestAccountChange()

        try store.setLocked(true, for: name("alice"))
        XCTAssertEqual(try store.accountChanges(after: start).last?.status, .locked(generation: alice.generation + 1))
        XCTAssertFalse(try store.setPublicKey([UInt8](repeating: 1, count: 32), for: try stamp(store, "alice")), "locked")

        try store.deleteUser(name("alice"))
        let last = try XCTUnwrap(try store.accountChanges(after: start).last)
        XCTAssertEqual(last.status, .deleted)
        XCTAssertFalse(last.status.admits(alice))
    }

    func testSessionPasswordChangeNeedsTheCurrentStamp() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(name("alice"), passwordHash: "a")
        let alice = try stamp(store, "alice")

        let changed = try XCTUnwrap(try store.changePassword(to: "b", for: alice))
        XCTAssertEqual(changed, CredentialStamp(account: alice.account, generation: alice.generation + 1))
        XCTAssertEqual(try store.user(named: name("alice"))?.passwordHash, "b")
        XCTAssertNil(try store.changePassword(to: "c", for: alice), "a stamp from before the change is stale")
        XCTAssertTrue(try store.setPublicKey([UInt8](repeating: 2, count: 32), for: changed))
        XCTAssertFalse(try store.setPublicKey([UInt8](repeating: 3, count: 32), for: alice))
        XCTAssertEqual(try store.publicKey(for: name("alice")), [UInt8](repeating: 2, count: 32))
    }

    func testHashUpgradeAtLoginKeepsSessions() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(name("alice"), passwordHash: "weak")
        let alice = try stamp(store, "alice")
        try store.upgradePasswordHash("strong", for: name("alice"))
        XCTAssertEqual(try stamp(store, "alice"), alice)
    }

    /// A database made by the release before account generations keeps its accounts,
    /// ids, passwords and keys.
    func testMigratesADatabaseFromTheLastRelease() throws {
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v2-dm-keys")
        try queue.write { db in
            for (id, user) in [(1, "alice"), (2, "Bob")] {
                try db.execute(
                    sql: """
                        INSERT INTO user (id, name, name_key, password_hash, locked, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, '2026-11-01 10:00:00.000', '2026-11-01 10:00:00.000')
                        """,
                    arguments: [id, user, user.lowercased(), "hash-\(user)", id == 2]
                )
            }
            try db.execute(sql: "INSERT INTO dm_key (user_id, public_key, updated_at) VALUES (1, ?, '2026-11-01 10:00:00.000')", arguments: [Data(repeating: 9, count: 32)])
        }
        try queue.close()

        let store = try SQLiteStore(path: path)
        let alice = try XCTUnwrap(try store.user(named: name("alice")))
        XCTAssertEqual(alice.credential.account, AccountID(1))
        XCTAssertEqual(alice.passwordHash, "hash-alice")
        XCTAssertEqual(try store.publicKey(for: name("alice")), [UInt8](repeating: 9, count: 32))
        let bob = try XCTUnwrap(try store.user(named: name("bob")))
        XCTAssertEqual(bob.name.display, "Bob")
        XCTAssertTrue(bob.isLocked)

        // Deleting the highest id and re-creating the name never reuses the id.
        try store.deleteUser(name("Bob"))
        try store.addUser(name("bob"), passwordHash: "new")
        XCTAssertNotEqual(try stamp(store, "bob").account, AccountID(2))
        XCTAssertEqual(try store.publicKey(for: name("alice")), [UInt8](repeating: 9, count: 32))
    }

    func testPruningDropsOnlyOldFeedEntries() throws {
        let store = try SQLiteStore(path: path)
        try store.addUser(name("alice"), passwordHash: "a")
        try store.setLocked(true, for: name("alice"))
        try store.pruneAccountChanges(olderThan: 3600)
        XCTAssertEqual(try store.accountChanges(after: 0).count, 1)
        try store.pruneAccountChanges(olderThan: -10)
        XCTAssertEqual(try store.accountChanges(after: 0).count, 0)
    }
}
