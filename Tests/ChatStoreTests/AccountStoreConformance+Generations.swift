import ChatStore
import Foundation
import XCTest

/// Identities, credential generations, stale stamps and the change feed.
extension AccountStoreConformance {
    func recreatedNameIsAnotherAccount(_ store: any Store) async throws {
        try await store.addAccount(name("bob"), passwordHash: "b")
        try await store.addAccount(name("alice"), passwordHash: "a1")
        let old = try await stamp(store, "alice")
        // alice holds the highest id, the one a careless store would hand out again.
        let deleted = try await store.deleteAccount(name("alice"))
        XCTAssertTrue(deleted)
        try await store.addAccount(name("alice"), passwordHash: "a2")
        let new = try await stamp(store, "alice")

        XCTAssertNotEqual(new.account, old.account)
        let oldAccount = try await store.account(id: old.account)
        XCTAssertNil(oldAccount)
        let keyed = try await store.setPublicKey([UInt8](repeating: 7, count: 32), for: old)
        XCTAssertFalse(keyed, "an old session cannot key the new alice")
        let changed = try await store.changePassword(to: "x", for: old)
        XCTAssertNil(changed)
        let key = try await store.publicKey(of: name("alice"))
        XCTAssertNil(key)
        let alice = try await store.account(named: name("alice"))
        XCTAssertEqual(alice?.passwordHash, "a2")
    }

    func lockUnlockAndResetRaiseTheGenerationAndFeedTheChange(_ store: any Store) async throws {
        try await store.addAccount(name("alice"), passwordHash: "a")
        let start = try await store.latestAccountChange()
        let first = try await stamp(store, "alice")

        try await store.setLocked(true, account: name("alice"))
        var generation = try await stamp(store, "alice").generation
        XCTAssertEqual(generation, first.generation + 1)
        let relocked = try await store.setLocked(true, account: name("alice"))
        XCTAssertTrue(relocked, "locking a locked account is no change, but no failure either")
        generation = try await stamp(store, "alice").generation
        XCTAssertEqual(generation, first.generation + 1)
        try await store.setLocked(false, account: name("alice"))
        try await store.resetPassword(account: name("alice"), passwordHash: "b")
        generation = try await stamp(store, "alice").generation
        XCTAssertEqual(generation, first.generation + 3)

        let changes = try await store.accountChanges(after: start)
        XCTAssertEqual(changes.count, 3)
        XCTAssertEqual(changes.map(\.account), Array(repeating: first.account, count: 3))
        XCTAssertEqual(changes.map(\.sequence), changes.map(\.sequence).sorted())
        XCTAssertEqual(Set(changes.map(\.sequence)).count, 3)
        // The feed tells the state now, not then: every entry says "active at +3".
        XCTAssertEqual(changes.map(\.status), Array(repeating: .active(generation: first.generation + 3), count: 3))
        XCTAssertFalse(changes[0].status.admits(first))
        let latest = try await store.latestAccountChange()
        XCTAssertEqual(latest, changes.last?.sequence)
        let none = try await store.accountChanges(after: latest)
        XCTAssertEqual(none, [])
    }

    func lockedAndDeletedAccountsAdmitNoSession(_ store: any Store) async throws {
        try await store.addAccount(name("alice"), passwordHash: "a")
        try await store.addAccount(name("bob"), passwordHash: "b")
        let alice = try await stamp(store, "alice")
        let bob = try await stamp(store, "bob")
        let start = try await store.latestAccountChange()

        try await store.setLocked(true, account: name("alice"))
        let locked = try await store.accountChanges(after: start)
        XCTAssertEqual(locked.last?.status, .locked(generation: alice.generation + 1))
        let keyed = try await store.setPublicKey([UInt8](repeating: 1, count: 32), for: try await stamp(store, "alice"))
        XCTAssertFalse(keyed, "a locked account's current stamp is stale too")
        let changed = try await store.changePassword(to: "x", for: try await stamp(store, "alice"))
        XCTAssertNil(changed)

        try await store.deleteAccount(name("alice"))
        try await store.deleteAccount(name("bob"))
        let changes = try await store.accountChanges(after: start)
        XCTAssertEqual(changes.map(\.account), [alice.account, alice.account, bob.account])
        XCTAssertEqual(changes.map(\.status), [.deleted, .deleted, .deleted])
        XCTAssertFalse(changes[2].status.admits(bob))
    }

    func sessionPasswordChangeNeedsTheCurrentStamp(_ store: any Store) async throws {
        try await store.addAccount(name("alice"), passwordHash: "a")
        let alice = try await stamp(store, "alice")
        let start = try await store.latestAccountChange()

        let changed = try await XCTUnwrapAsync(try await store.changePassword(to: "b", for: alice))
        XCTAssertEqual(changed, CredentialStamp(account: alice.account, generation: alice.generation + 1))
        let current = try await stamp(store, "alice")
        XCTAssertEqual(current, changed)
        let stored = try await store.account(named: name("alice"))
        XCTAssertEqual(stored?.passwordHash, "b")
        let again = try await store.changePassword(to: "c", for: alice)
        XCTAssertNil(again, "a stamp from before the change is stale")
        let feed = try await store.accountChanges(after: start)
        XCTAssertEqual(feed.map(\.status), [.active(generation: changed.generation)], "one entry: the stale attempt changed nothing")

        let renewed = try await store.setPublicKey([UInt8](repeating: 2, count: 32), for: changed)
        XCTAssertTrue(renewed)
        let stale = try await store.setPublicKey([UInt8](repeating: 3, count: 32), for: alice)
        XCTAssertFalse(stale)
        let key = try await store.publicKey(of: name("alice"))
        XCTAssertEqual(key, [UInt8](repeating: 2, count: 32))
    }

    func feedIsReadInOrderAndInBoundedSteps(_ store: any Store) async throws {
        let empty = try await store.latestAccountChange()
        XCTAssertEqual(empty, 0, "an empty feed")
        let nothing = try await store.accountChanges(after: 0)
        XCTAssertEqual(nothing, [])

        for text in ["a", "b", "c", "d", "e"] {
            try await store.addAccount(name(text), passwordHash: "h")
        }
        let added = try await store.latestAccountChange()
        XCTAssertEqual(added, 0, "creating an account is no credential change")
        for text in ["a", "b", "c", "d", "e"] {
            try await store.setLocked(true, account: name(text))
        }

        var seen: [AccountChange] = []
        var position: Int64 = 0
        while true {
            let page = try await store.accountChanges(after: position, limit: 2)
            XCTAssertLessThanOrEqual(page.count, 2)
            guard let last = page.last else { break }
            seen += page
            position = last.sequence
        }
        let expected = try await store.allAccounts().map(\.credential.account)
        XCTAssertEqual(seen.map(\.account), expected, "in the order of the changes, each once")
        let latest = try await store.latestAccountChange()
        XCTAssertEqual(position, latest)
    }

    func pruningDropsOnlyOldFeedEntries(_ store: any Store) async throws {
        try await store.addAccount(name("alice"), passwordHash: "a")
        try await store.setLocked(true, account: name("alice"))
        try await store.pruneAccountChanges(olderThan: 3600)
        let recent = try await store.accountChanges(after: 0)
        XCTAssertEqual(recent.count, 1)
        // Everything is older than ten seconds from now.
        try await store.pruneAccountChanges(olderThan: -10)
        let pruned = try await store.accountChanges(after: 0)
        XCTAssertEqual(pruned, [])
    }

    // MARK: public keys

    func keysBelongToTheAccount(_ store: any Store) async throws {
        try await store.addAccount(name("Alice"), passwordHash: "a")
        let alice = try await stamp(store, "alice")
        let none = try await store.publicKey(of: name("alice"))
        XCTAssertNil(none)

        let first = try await store.setPublicKey([UInt8](repeating: 1, count: 32), for: alice)
        XCTAssertTrue(first)
        let second = try await store.setPublicKey([UInt8](repeating: 2, count: 32), for: alice)
        XCTAssertTrue(second, "a key is replaced, not refused")
        let key = try await store.publicKey(of: name("ALICE"))
        XCTAssertEqual(key, [UInt8](repeating: 2, count: 32))
        let nobody = try await store.publicKey(of: name("nobody"))
        XCTAssertNil(nobody)
        let generation = try await stamp(store, "alice")
        XCTAssertEqual(generation, alice, "publishing a key is no credential change")

        try await store.deleteAccount(name("alice"))
        let deleted = try await store.publicKey(of: name("alice"))
        XCTAssertNil(deleted)
        try await store.addAccount(name("alice"), passwordHash: "a2")
        let recreated = try await store.publicKey(of: name("alice"))
        XCTAssertNil(recreated, "the key went with the account it belonged to")
    }
}
