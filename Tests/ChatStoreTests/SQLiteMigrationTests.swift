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

    /// A database with conversations but no rooms (schema v4) gets a room row for every
    /// room with members, owned by its earliest member, and every account in the lobby.
    func testMigratesConversationsToRoomsAndPutsEveryoneInTheLobby() async throws {
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v4-conversations")
        try await queue.write { db in
            for (id, user) in [(1, "alice"), (2, "Bob"), (3, "carol")] {
                try db.execute(
                    sql: """
                        INSERT INTO user (id, name, name_key, password_hash, created_at, updated_at)
                        VALUES (?, ?, ?, 'h', '2027-01-01 10:00:00.000', '2027-01-01 10:00:00.000')
                        """,
                    arguments: [id, user, user.lowercased()]
                )
            }
            // Bob joined #rust before alice (so owns it, in his spelling); carol alone
            // was in the lobby; alice joined #Go; ties in time go to the lower id.
            for (user, key, name, joined) in [
                (1, "#rust", "#rust", 200), (2, "#rust", "#Rust", 100), (3, "#lobby", "#Lobby", 50), (1, "#go", "#Go", 300),
                (3, "#tie", "#tie", 400), (2, "#tie", "#Tie", 400),
            ] {
                try db.execute(
                    sql: "INSERT INTO room_member (user_id, room_key, room_name, joined_at) VALUES (?, ?, ?, ?)",
                    arguments: [user, key, name, joined]
                )
            }
        }
        try queue.close()

        let store = try SQLiteStore(path: path)
        defer { try? store.close() }
        let (alice, bob, carol) = (AccountID(1), AccountID(2), AccountID(3))
        let all = try await store.allMemberships()
        XCTAssertEqual(all.map(\.room.display), ["#Go", "#Lobby", "#Rust", "#Tie"], "named by the earliest member")
        XCTAssertEqual(all.map(\.members), [[alice], [alice, bob, carol], [alice, bob], [bob, carol]])
        for (room, owner) in [("#go", alice), ("#lobby", carol), ("#rust", bob), ("#tie", bob)] {
            let info = try await store.roomInfo(RoomName(room)!)
            XCTAssertEqual(info?.owner, owner, room)
            XCTAssertEqual(info?.isPrivate, false, room)
            XCTAssertNil(info?.topic, room)
        }
        let aliceRooms = try await store.rooms(of: alice)
        XCTAssertEqual(aliceRooms.map(\.display), ["#Go", "#Lobby", "#Rust"], "spelled as each room is, whoever joined it how")

        // The new schema's rules hold for the migrated rows.
        XCTAssertTrue(try store.deleteUser(name("Bob")))
        let rust = try await store.roomInfo(RoomName("#rust")!)
        XCTAssertEqual(rust?.owner, alice)
        let left = try await store.leave(alice, room: RoomName("#go")!)
        XCTAssertTrue(left)
        let go = try await store.roomInfo(RoomName("#go")!)
        XCTAssertNil(go)
        try store.addUser(name("dave"), passwordHash: "h")
        let dave = try stamp(store, "dave").account
        let daveRooms = try await store.rooms(of: dave)
        XCTAssertEqual(daveRooms, [.lobby])
        let violations = try store.pool.read { db in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") }
        XCTAssertEqual(violations, [])
    }

    /// With no accounts there is nobody to own a lobby: none is made until the first
    /// account is, which then owns it.
    func testMigratingADatabaseWithoutAccountsMakesNoRooms() async throws {
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v4-conversations")
        try queue.close()

        let store = try SQLiteStore(path: path)
        defer { try? store.close() }
        let none = try await store.allMemberships()
        XCTAssertEqual(none, [])
        try store.addUser(name("alice"), passwordHash: "h")
        let alice = try stamp(store, "alice").account
        let lobby = try await store.roomInfo(.lobby)
        XCTAssertEqual(lobby, RoomInfo(name: .lobby, owner: alice, isPrivate: false, topic: nil, memberCount: 1))
    }

    /// Direct messages already in a v5 log give both sides their direct conversation;
    /// a peer deleted since is named as it signed its messages.
    func testMigratesDirectMessagesToDirectConversations() async throws {
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: "v5-rooms")
        try await queue.write { db in
            for (id, user) in [(1, "alice"), (2, "Bob"), (3, "carol")] {
                try db.execute(
                    sql: """
                        INSERT INTO user (id, name, name_key, password_hash, created_at, updated_at)
                        VALUES (?, ?, ?, 'h', '2027-01-01 10:00:00.000', '2027-01-01 10:00:00.000')
                        """,
                    arguments: [id, user, user.lowercased()]
                )
            }
            // dave (4) is gone; he once wrote to alice. erin (5) is gone and never wrote.
            for (conversation, kind, sender, senderName) in [
                ("dm:1:2", 2, 1, "alice"), ("dm:1:2", 3, 2, "Bob"), ("dm:2:3", 2, 3, "carol"), ("dm:1:4", 2, 4, "dave"),
                ("dm:1:5", 2, 1, "alice"), ("#lobby", 1, 2, "Bob"),
            ] {
                try db.execute(
                    sql: "INSERT INTO event (conversation, kind, sender_id, sender_name, body, sent_at) VALUES (?, ?, ?, ?, x'6869', 1)",
                    arguments: [conversation, kind, sender, senderName]
                )
            }
        }
        try queue.close()

        let store = try SQLiteStore(path: path)
        defer { try? store.close() }
        let (alice, bob, carol) = (AccountID(1), AccountID(2), AccountID(3))
        let ofAlice = try await store.directConversations(of: alice)
        XCTAssertEqual(ofAlice.map(\.peer), [bob, AccountID(4)])
        XCTAssertEqual(ofAlice.map(\.peerName.display), ["Bob", "dave"])
        let ofBob = try await store.directConversations(of: bob)
        XCTAssertEqual(ofBob.map(\.peer), [alice, carol])
        let ofCarol = try await store.directConversations(of: carol)
        XCTAssertEqual(ofCarol.map(\.conversation), [.direct(bob, carol)])
        let caughtUp = try await store.events(after: .start, forAccount: alice, limit: 100)
        XCTAssertEqual(
            caughtUp.events.map(\.conversation.description), ["dm:1:2", "dm:1:2", "dm:1:4"],
            "erin, gone without a word, left nothing to name her by: that conversation is not found (only an old log has such)")
    }
}
