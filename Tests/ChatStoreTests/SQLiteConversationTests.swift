import ChatModel
@testable import ChatStore
import ChatTestSupport
import Foundation
import GRDB
import NIOConcurrencyHelpers
import XCTest

/// The embedded store against the conversation contract, and what only a file shows:
/// restarts, durability settings, group commit.
final class SQLiteConversationTests: ConversationStoreConformance {
    /// A fresh file per check, closed when the test ends.
    override func makeStore() async throws -> any Store {
        let store = try SQLiteStore(path: try newPath())
        addTeardownBlock { try? store.close() }
        return store
    }

    private func newPath() throws -> String {
        try makeTemporaryDirectory().appendingPathComponent("chat.db").path
    }

    func testConformance() async {
        await checkConformance()
    }

    func testMembershipAndHistorySurviveAReopen() async throws {
        let path = try newPath()
        var store = try SQLiteStore(path: path)
        try store.addUser(name("alice"), passwordHash: "h")
        let alice = try XCTUnwrap(try store.user(named: name("alice"))).credential.account
        try await store.join(alice, room: room("#Rust"))
        let ids = try await store.append([message("kept", in: .room(room("#rust")), from: alice)])
        try store.close()

        store = try SQLiteStore(path: path)
        defer { try? store.close() }
        let rooms = try await store.rooms(of: alice)
        XCTAssertEqual(rooms.map(\.display), ["#lobby", "#Rust"])
        let page = try await store.history(of: .room(room("#rust")), before: nil, limit: 50)
        XCTAssertEqual(page.events.map(\.id), ids)
        let next = try await store.append([message("later", in: .room(room("#rust")), from: alice)])
        XCTAssertGreaterThan(next[0], ids[0])
    }

    /// The hand-over lives in the database (a trigger), so it holds for any writer:
    /// chat-useradd's blocking delete, or plain SQL from another tool.
    func testRoomsPassOnWhoeverDeletesTheOwner() async throws {
        let store = try SQLiteStore(path: try newPath())
        defer { try? store.close() }
        var ids: [String: AccountID] = [:]
        for user in ["alice", "bob", "carol"] {
            try store.addUser(name(user), passwordHash: "h")
            ids[user] = try XCTUnwrap(try store.user(named: name(user))).credential.account
        }
        let (alice, bob, carol) = (ids["alice"]!, ids["bob"]!, ids["carol"]!)
        try await store.join(alice, room: room("#secret"))
        _ = try await store.setPrivate(room("#secret"), by: alice)
        _ = try await store.invite(bob, to: room("#secret"), by: alice)
        try await store.join(bob, room: room("#secret"))
        try await store.join(carol, room: room("#rust"))
        try await store.join(bob, room: room("#rust"))

        try await store.pool.write { db in try db.execute(sql: "DELETE FROM user WHERE id = ?", arguments: [alice.rawValue]) }
        let secret = try await store.roomInfo(room("#secret"))
        XCTAssertEqual(secret?.owner, bob)
        XCTAssertEqual(secret?.isPrivate, true)
        XCTAssertTrue(try store.deleteUser(name("carol")))
        let rust = try await store.roomInfo(room("#rust"))
        XCTAssertEqual(rust?.owner, bob)
        XCTAssertEqual(rust?.memberCount, 1)
    }

    func testPrivateRoomsSurviveAReopen() async throws {
        let path = try newPath()
        var store = try SQLiteStore(path: path)
        try store.addUser(name("alice"), passwordHash: "h")
        let alice = try XCTUnwrap(try store.user(named: name("alice"))).credential.account
        try await store.join(alice, room: room("#Secret"))
        _ = try await store.setPrivate(room("#secret"), by: alice)
        _ = try await store.setTopic(room("#secret"), "plans", by: alice)
        try await store.leave(alice, room: room("#secret"))
        try store.close()

        store = try SQLiteStore(path: path)
        defer { try? store.close() }
        let info = try await store.roomInfo(room("#secret"))
        XCTAssertEqual(info, RoomInfo(name: room("#Secret"), owner: alice, isPrivate: true, topic: "plans", memberCount: 0))
    }

    func testDurabilityChoosesTheSynchronousMode() throws {
        // 1 is NORMAL, 2 is FULL; what counts is the writer connection's setting.
        for (durability, expected) in [(SQLiteStore.Durability.normal, 1), (.full, 2)] {
            let store = try SQLiteStore(path: try newPath(), durability: durability)
            defer { try? store.close() }
            let mode = try store.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            XCTAssertEqual(mode, expected, "\(durability)")
            let journal = try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            XCTAssertEqual(journal, "wal")
        }
    }

    // MARK: group commit

    /// A room message built without the test case, so concurrent tasks can make them.
    private static func roomMessage(_ text: String, in conversation: ConversationID, from sender: AccountID = AccountID(1)) -> NewEvent {
        NewEvent(conversation: conversation, sender: sender, senderName: UserName("user\(sender)")!, text: text, sentAt: Date())
    }

    func testConcurrentAppendsGetDistinctIncreasingIdsAndAreAllStored() async throws {
        let path = try newPath()
        let store = try SQLiteStore(path: path)
        let rooms = (0..<4).map { ConversationID.room(room("#r\($0)")) }
        let perTask = 20
        let tasks = 100
        let results = try await withThrowingTaskGroup(of: [(ConversationID, String, EventID)].self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var mine: [(ConversationID, String, EventID)] = []
                    for index in 0..<perTask {
                        let conversation = rooms[(task + index) % rooms.count]
                        let text = "\(task)-\(index)"
                        let ids = try await store.append([Self.roomMessage(text, in: conversation, from: AccountID(Int64(task) + 1))])
                        mine.append((conversation, text, ids[0]))
                    }
                    return mine
                }
            }
            var all: [(ConversationID, String, EventID)] = []
            for try await part in group { all += part }
            return all
        }
        XCTAssertEqual(results.count, tasks * perTask)
        XCTAssertEqual(Set(results.map(\.2)).count, results.count, "ids are distinct")
        for task in 0..<tasks {
            let mine = results.filter { $0.1.hasPrefix("\(task)-") }.map(\.2)
            XCTAssertEqual(mine, mine.sorted(), "one caller's appends are stored in its order")
        }
        try store.close()
        do {
            _ = try await store.append([message("late", in: rooms[0])])
            XCTFail("appended to a closed store")
        } catch {
            XCTAssertEqual(error as? ConversationStoreError, .closed)
        }

        let reopened = try SQLiteStore(path: path)
        defer { try? reopened.close() }
        var stored: [EventID: String] = [:]
        for conversation in rooms {
            var page = try await reopened.events(after: .start, in: [conversation], limit: maxPageSize)
            XCTAssertFalse(page.more)
            XCTAssertEqual(page.events.map(\.id), page.events.map(\.id).sorted())
            for event in page.events { stored[event.id] = event.text }
            page = try await reopened.history(of: conversation, before: nil, limit: 5)
            XCTAssertEqual(page.events.count, 5)
        }
        XCTAssertEqual(stored.count, results.count)
        for (_, text, id) in results {
            XCTAssertEqual(stored[id], text)
        }
    }

    func testShutdownCommitsWhatWasSubmitted() async throws {
        let path = try newPath()
        let store = try SQLiteStore(path: path)
        let lobby = ConversationID.room(room("#lobby"))
        let acknowledged = NIOLockedValueBox<[EventID]>([])
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    if let ids = try? await store.append([Self.roomMessage("\(index)", in: lobby)]) {
                        acknowledged.withLockedValue { $0 += ids }
                    }
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(2))
                try? store.close()
            }
        }
        let reopened = try SQLiteStore(path: path)
        defer { try? reopened.close() }
        let page = try await reopened.events(after: .start, in: [lobby], limit: maxPageSize)
        XCTAssertEqual(Set(page.events.map(\.id)), Set(acknowledged.withLockedValue { $0 }), "every acknowledged append, nothing else")
    }
}
