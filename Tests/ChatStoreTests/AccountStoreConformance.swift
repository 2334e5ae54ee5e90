import ChatModel
import ChatStore
import Foundation
import XCTest

/// What every `AccountStore` and `PublicKeyStore` must do, whatever keeps the data
/// (the contract is written on the protocols). A store's tests subclass this, return a
/// fresh, empty store from `makeStore()`, and call `checkConformance()` from one test.
///
/// One test runs all the checks, rather than one test per check, because Linux's
/// XCTest runs only the test methods a class declares itself: inherited tests would
/// silently not run for the subclass. Each check gets its own store, and one that
/// throws is reported under its name while the others still run.
class AccountStoreConformance: XCTestCase {
    typealias Store = AccountStore & PublicKeyStore

    /// A new, empty store for one check; it must stay usable until the test ends.
    func makeStore() async throws -> any Store {
        fatalError("\(type(of: self)) must make the store it tests")
    }

    func checkConformance(file: StaticString = #filePath, line: UInt = #line) async {
        for (name, check) in checks {
            do {
                try await check(try await makeStore())
            } catch {
                XCTFail("\(name): \(error)", file: file, line: line)
            }
        }
    }

    private var checks: [(String, (any Store) async throws -> Void)] {
        [
            ("names ignore case", namesIgnoreCaseAndKeepTheirSpelling),
            ("duplicates", duplicatesInAnyCaseAreRefused),
            ("delete", deletingFreesTheName),
            ("lock", lockAndUnlock),
            ("reset", administratorResetsThePassword),
            ("list", allAccountsAreOrderedByKey),
            ("last login", lastLoginsAreStampedInBatchesAndSkipDeletedAccounts),
            ("hash upgrade", hashUpgradeStampsTheLoginAndKeepsSessions),
            ("identity", recreatedNameIsAnotherAccount),
            ("generations", lockUnlockAndResetRaiseTheGenerationAndFeedTheChange),
            ("locked and deleted", lockedAndDeletedAccountsAdmitNoSession),
            ("password change", sessionPasswordChangeNeedsTheCurrentStamp),
            ("feed", feedIsReadInOrderAndInBoundedSteps),
            ("prune", pruningDropsOnlyOldFeedEntries),
            ("keys", keysBelongToTheAccount),
        ]
    }

    func name(_ text: String) -> UserName { UserName(text)! }

    func stamp(_ store: any Store, _ user: String, file: StaticString = #filePath, line: UInt = #line) async throws -> CredentialStamp {
        let record = try await store.account(named: name(user))
        return try XCTUnwrap(record, "no account \(user)", file: file, line: line).credential
    }

    // MARK: accounts

    func namesIgnoreCaseAndKeepTheirSpelling(_ store: any Store) async throws {
        let before = Date()
        try await store.addAccount(name("Alice"), passwordHash: "hash-a")

        let record = try await XCTUnwrapAsync(try await store.account(named: name("aLiCe")))
        XCTAssertEqual(record.name.display, "Alice", "spelling kept as created")
        XCTAssertEqual(record.passwordHash, "hash-a")
        XCTAssertFalse(record.isLocked)
        XCTAssertNil(record.lastLoginAt)
        XCTAssertEqual(record.createdAt.timeIntervalSince1970, before.timeIntervalSince1970, accuracy: 5)
        XCTAssertEqual(record.createdAt, record.updatedAt)
        XCTAssertEqual(record.status, .active(generation: record.credential.generation))
        let byID = try await store.account(id: record.credential.account)
        XCTAssertEqual(byID, record)
        let bob = try await store.account(named: name("bob"))
        XCTAssertNil(bob)
    }

    func duplicatesInAnyCaseAreRefused(_ store: any Store) async throws {
        try await store.addAccount(name("alice"), passwordHash: "first")
        do {
            try await store.addAccount(name("ALICE"), passwordHash: "second")
            XCTFail("a second alice was added")
        } catch {
            XCTAssertEqual(error as? StoreError, .duplicateUser("ALICE"))
        }
        let stored = try await store.account(named: name("alice"))
        XCTAssertEqual(stored?.passwordHash, "first")
        let all = try await store.allAccounts()
        XCTAssertEqual(all.count, 1)
    }

    func deletingFreesTheName(_ store: any Store) async throws {
        try await store.addAccount(name("alice"), passwordHash: "h")
        let old = try await stamp(store, "alice")
        let deleted = try await store.deleteAccount(name("ALICE"))
        XCTAssertTrue(deleted)
        let gone = try await store.account(named: name("alice"))
        XCTAssertNil(gone)
        let goneByID = try await store.account(id: old.account)
        XCTAssertNil(goneByID)
        let again = try await store.deleteAccount(name("alice"))
        XCTAssertFalse(again, "already gone")
        try await store.addAccount(name("Alice"), passwordHash: "h2")
    }

    func lockAndUnlock(_ store: any Store) async throws {
        try await store.addAccount(name("alice"), passwordHash: "h")
        let created = try await XCTUnwrapAsync(try await store.account(named: name("alice")))

        let locking = try await store.setLocked(true, account: name("Alice"))
        XCTAssertTrue(locking)
        let locked = try await XCTUnwrapAsync(try await store.account(named: name("alice")))
        XCTAssertTrue(locked.isLocked)
        XCTAssertEqual(locked.status, .locked(generation: locked.credential.generation))
        XCTAssertGreaterThanOrEqual(locked.updatedAt, created.updatedAt)

        let unlocking = try await store.setLocked(false, account: name("alice"))
        XCTAssertTrue(unlocking)
        let unlocked = try await store.account(named: name("alice"))
        XCTAssertEqual(unlocked?.isLocked, false)

        let nobody = try await store.setLocked(true, account: name("nobody"))
        XCTAssertFalse(nobody)
    }

    func administratorResetsThePassword(_ store: any Store) async throws {
        try await store.addAccount(name("alice"), passwordHash: "old")
        let reset = try await store.resetPassword(account: name("ALICE"), passwordHash: "new")
        XCTAssertTrue(reset)
        let stored = try await store.account(named: name("alice"))
        XCTAssertEqual(stored?.passwordHash, "new")
        let nobody = try await store.resetPassword(account: name("nobody"), passwordHash: "h")
        XCTAssertFalse(nobody)
    }

    func allAccountsAreOrderedByKey(_ store: any Store) async throws {
        let empty = try await store.allAccounts()
        XCTAssertEqual(empty, [])
        for text in ["charlie", "Bob", "alice", "Dave", "bob2"] {
            try await store.addAccount(name(text), passwordHash: "h-\(text)")
        }
        let names = try await store.allAccounts().map(\.name.display)
        XCTAssertEqual(names, ["alice", "Bob", "bob2", "charlie", "Dave"])
    }

    func lastLoginsAreStampedInBatchesAndSkipDeletedAccounts(_ store: any Store) async throws {
        try await store.addAccount(name("alice"), passwordHash: "h")
        try await store.addAccount(name("Bob"), passwordHash: "h")
        let before = try await XCTUnwrapAsync(try await store.account(named: name("alice")))
        let start = try await store.latestAccountChange()
        let aliceAt = Date(timeIntervalSince1970: 1_800_000_000.5)
        let bobAt = Date(timeIntervalSince1970: 1_800_000_100.75)

        // "gone" was deleted after logging in: no error, and no account made for it.
        try await store.recordLogins([name("alice"): aliceAt, name("BOB"): bobAt, name("gone"): bobAt])
        let alice = try await XCTUnwrapAsync(try await store.account(named: name("alice")))
        let bob = try await XCTUnwrapAsync(try await store.account(named: name("bob")))
        XCTAssertEqual(try XCTUnwrap(alice.lastLoginAt).timeIntervalSince1970, aliceAt.timeIntervalSince1970, accuracy: 0.001)
        XCTAssertEqual(try XCTUnwrap(bob.lastLoginAt).timeIntervalSince1970, bobAt.timeIntervalSince1970, accuracy: 0.001)
        XCTAssertEqual(bob.name.display, "Bob", "the stamp keeps the spelling chosen at creation")
        XCTAssertEqual(alice.updatedAt, before.updatedAt, "a login is not an account change")
        XCTAssertEqual(alice.credential, before.credential, "nor a credential change")
        let gone = try await store.account(named: name("gone"))
        XCTAssertNil(gone)
        let all = try await store.allAccounts()
        XCTAssertEqual(all.count, 2)
        let changes = try await store.accountChanges(after: start)
        XCTAssertEqual(changes, [])

        try await store.recordLogins([:])
    }

    func hashUpgradeStampsTheLoginAndKeepsSessions(_ store: any Store) async throws {
        try await store.addAccount(name("alice"), passwordHash: "weak")
        let alice = try await stamp(store, "alice")
        let start = try await store.latestAccountChange()
        let when = Date(timeIntervalSince1970: 1_900_000_000)

        let upgraded = try await store.upgradePasswordHash("strong", for: alice, loggedInAt: when)
        XCTAssertTrue(upgraded)
        let after = try await XCTUnwrapAsync(try await store.account(named: name("alice")))
        XCTAssertEqual(after.passwordHash, "strong")
        XCTAssertEqual(try XCTUnwrap(after.lastLoginAt).timeIntervalSince1970, when.timeIntervalSince1970, accuracy: 0.001)
        XCTAssertEqual(after.credential, alice, "same password: the sessions go on")
        let changes = try await store.accountChanges(after: start)
        XCTAssertEqual(changes, [])

        // A reset during the login wins: the upgrade must not write the old password back.
        try await store.resetPassword(account: name("alice"), passwordHash: "reset")
        let late = try await store.upgradePasswordHash("old password, rehashed", for: alice, loggedInAt: when)
        XCTAssertFalse(late)
        let reset = try await store.account(named: name("alice"))
        XCTAssertEqual(reset?.passwordHash, "reset")

        let nobody = try await store.upgradePasswordHash("h", for: CredentialStamp(account: AccountID(999_999), generation: 1), loggedInAt: when)
        XCTAssertFalse(nobody)
        let phantom = try await store.account(id: AccountID(999_999))
        XCTAssertNil(phantom)
    }
}

/// `XCTUnwrap` for a value that must be awaited first (XCTest's autoclosures are
/// synchronous).
func XCTUnwrapAsync<T>(
    _ expression: @autoclosure () async throws -> T?,
    file: StaticString = #filePath,
    line: UInt = #line
) async throws -> T {
    let value = try await expression()
    return try XCTUnwrap(value, file: file, line: line)
}
