import ChatModel
import ChatTestSupport
@testable import ChatStore
import Foundation
import GRDB
import XCTest

/// Databases made by earlier releases open with their data intact.
final class SQLiteMigrationTests: XCTestCase {
    private var path = ""

    override func setUpWithError() throws {
        path = try makeTemporaryDirectory().appendingPathComponent("users.db").path
    }

    private func name(_ text: String) -> UserName { UserName(text)! }

    private func stamp(_ store: SQLiteStore, _ user: String) throws -> CredentialStamp {
        try XCTUnwrap(try store.user(named: name(user))).credential
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
            try db.execute(
                sql: "INSERT INTO dm_key (user_id, public_key, updated_at) VALUES (1, ?, '2026-11-01 10:00:00.000')", arguments: [Data(repeating: 9, count: 32)]
            )
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

    /// A database made by today's release (schema v3) keeps its accounts, ids and keys
    /// and gains the conversation tables.
    func testMigratesADatabaseWithAccountGenerations() async throws {
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v3-account-generations")
        try await queue.write { db in
            for (id, user) in [(1, "alice"), (2, "Bob")] {
                try db.execute(
                    sql: """
                        INSERT INTO user (id, name, name_key, password_hash, locked, generation, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, 4, '2026-12-01 10:00:00.000', '2026-12-01 10:00:00.000')
                        """,
                    arguments: [id, user, user.lowercased(), "hash-\(user)", id == 2]
                )
            }
        }
        try queue.close()

        let store = try SQLiteStore(path: path)
        defer { try? store.close() }
        let alice = try stamp(store, "alice")
        XCTAssertEqual(alice, CredentialStamp(account: AccountID(1), generation: 4))
        XCTAssertEqual(try store.user(named: name("alice"))?.passwordHash, "hash-alice")
        XCTAssertEqual(try store.user(named: name("bob"))?.isLocked, true)
        let joined = try await store.join(alice.account, room: RoomName("#lobby")!)
        XCTAssertEqual(joined, .alreadyMember, "v5-rooms put every account in the lobby")
        let ids = try await store.append([
            NewEvent(conversation: .room(RoomName("#lobby")!), sender: alice.account, senderName: name("alice"), text: "hello", sentAt: Date())
        ])
        let page = try await store.history(of: .room(RoomName("#lobby")!), before: nil, limit: 50)
        XCTAssertEqual(page.events.map(\.id), ids)
    }
}
