import ChatModel
import ChatStore
import Foundation
import XCTest

/// Direct conversations by account, bounded paging and catch-up across everything an
/// account is in (what `/chathistory` and `/catchup` stand on).
extension ConversationStoreConformance {
    var catchUpChecks: [(String, (any Store) async throws -> Void)] {
        [
            ("direct conversations", directConversationsAreFoundFromEitherSide),
            ("deleted peer", directConversationOutlivesThePeersAccount),
            ("bounded paging", pagingBetweenTwoIdsStopsAtTheUpperBound),
            ("account catch-up", accountCatchUpCoversItsRoomsAndDirectMessagesOnly),
        ]
    }

    func directMessage(_ text: String, from sender: AccountID, _ senderName: String, to recipient: AccountID, sealed: Bool = false) -> NewEvent {
        NewEvent(
            conversation: .direct(sender, recipient), kind: sealed ? .sealedDirectMessage : .directMessage, sender: sender,
            senderName: name(senderName), body: Array(text.utf8), sentAt: start)
    }

    func directConversationsAreFoundFromEitherSide(_ store: any Store) async throws {
        let alice = try await account(store, "Alice")
        let bob = try await account(store, "bob")
        let carol = try await account(store, "carol")
        let dave = try await account(store, "dave")
        let none = try await store.directConversations(of: alice)
        XCTAssertEqual(none, [])

        try await store.append([directMessage("hi", from: alice, "Alice", to: bob)])
        try await store.append([directMessage("sealed", from: carol, "carol", to: alice, sealed: true)])
        try await store.append([directMessage("again", from: bob, "bob", to: alice)])
        try await store.append([directMessage("note to self", from: alice, "Alice", to: alice)])
        _ = try await store.enqueueOffline(directMessage("while away", from: alice, "Alice", to: dave), for: dave)
        try await store.append([directMessage("not alice's", from: bob, "bob", to: carol)])

        let ofAlice = try await store.directConversations(of: alice)
        XCTAssertEqual(
            ofAlice,
            [
                DirectConversation(conversation: .direct(alice, alice), peer: alice, peerName: name("Alice")),
                DirectConversation(conversation: .direct(alice, bob), peer: bob, peerName: name("bob")),
                DirectConversation(conversation: .direct(alice, carol), peer: carol, peerName: name("carol")),
                DirectConversation(conversation: .direct(alice, dave), peer: dave, peerName: name("dave")),
            ],
            "ordered by the peer's id, the peer named as its account spells it")
        XCTAssertEqual(ofAlice.map(\.peerName.display), ["Alice", "bob", "carol", "dave"])
        let ofBob = try await store.directConversations(of: bob)
        XCTAssertEqual(ofBob.map(\.peer), [alice, carol])
        let ofDave = try await store.directConversations(of: dave)
        XCTAssertEqual(ofDave.map(\.peer), [alice], "an offline message starts a conversation too")
    }

    func directConversationOutlivesThePeersAccount(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "Bob")
        try await store.append([directMessage("hi", from: alice, "alice", to: bob)])
        let deleted = try await store.deleteAccount(name("bob"))
        XCTAssertTrue(deleted)
        let ofAlice = try await store.directConversations(of: alice)
        XCTAssertEqual(ofAlice, [DirectConversation(conversation: .direct(alice, bob), peer: bob, peerName: name("Bob"))])
        let ofBob = try await store.directConversations(of: bob)
        XCTAssertEqual(ofBob, [], "the deleted account's own rows go")

        // A new account of the same name is someone else: a new conversation.
        let newBob = try await account(store, "bob")
        try await store.append([directMessage("who are you?", from: alice, "alice", to: newBob)])
        let now = try await store.directConversations(of: alice)
        XCTAssertEqual(now.map(\.peer), [bob, newBob])
        XCTAssertEqual(now.map(\.peerName.display), ["Bob", "bob"])
    }

    func pagingBetweenTwoIdsStopsAtTheUpperBound(_ store: any Store) async throws {
        let rust = ConversationID.room(room("#rust"))
        let ids = try await fill(store, rust, count: 20)
        try await fill(store, .room(room("#go")), count: 3)
        let first = try await store.events(after: ids[2], before: ids[12], in: [rust], limit: 4)
        XCTAssertEqual(first.events.map(\.id), Array(ids[3..<7]))
        XCTAssertTrue(first.more)
        let second = try await store.events(after: ids[6], before: ids[12], in: [rust], limit: 4)
        XCTAssertEqual(second.events.map(\.id), Array(ids[7..<11]))
        XCTAssertTrue(second.more)
        let last = try await store.events(after: ids[10], before: ids[12], in: [rust], limit: 4)
        XCTAssertEqual(last.events.map(\.id), [ids[11]])
        XCTAssertFalse(last.more, "events at or past the upper bound are not more")
        let exact = try await store.events(after: ids[2], before: ids[7], in: [rust], limit: 4)
        XCTAssertEqual(exact.events.map(\.id), Array(ids[3..<7]))
        XCTAssertFalse(exact.more, "exactly a page between the bounds")
        let empty = try await store.events(after: ids[5], before: ids[6], in: [rust], limit: 4)
        XCTAssertEqual(empty, EventPage(events: [], more: false))
        let reversed = try await store.events(after: ids[9], before: ids[3], in: [rust], limit: 4)
        XCTAssertEqual(reversed, EventPage(events: [], more: false))
    }

    func accountCatchUpCoversItsRoomsAndDirectMessagesOnly(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let carol = try await account(store, "carol")
        for joined in ["#a", "#b"] {
            try await store.join(alice, room: room(joined))
        }
        try await store.join(bob, room: room("#c"))
        var mine: [EventID] = []
        for round in 0..<6 {
            for joined in ["#a", "#b", "#lobby"] {
                mine += try await store.append([message("\(joined) \(round)", in: .room(room(joined)), from: bob)])
            }
            try await store.append([message("#c \(round)", in: .room(room("#c")), from: bob)])
            mine += try await store.append([directMessage("to bob \(round)", from: alice, "alice", to: bob)])
            mine += try await store.append([directMessage("from carol \(round)", from: carol, "carol", to: alice, sealed: true)])
            try await store.append([directMessage("bob to carol \(round)", from: bob, "bob", to: carol)])
        }

        var caughtUp: [StoredEvent] = []
        var cursor = EventID.start
        var pages: [AccountEventPage] = []
        while true {
            let page = try await store.events(after: cursor, forAccount: alice, limit: 10)
            pages.append(page)
            caughtUp += page.events
            guard page.more, let last = page.events.last else { break }
            cursor = last.id
        }
        XCTAssertEqual(caughtUp.map(\.id), mine, "every event of alice's rooms and DMs once, in id order; none of #c or bob↔carol")
        XCTAssertEqual(pages.map(\.events.count), [10, 10, 10])
        XCTAssertEqual(pages.map(\.more), [true, true, false], "exactly three pages: the last says nothing more")
        XCTAssertEqual(pages[0].directConversations.map(\.peer), [bob, carol])
        let fromMiddle = try await store.events(after: mine[19], forAccount: alice, limit: 500)
        XCTAssertEqual(fromMiddle.events.map(\.id), Array(mine[20...]))
        XCTAssertFalse(fromMiddle.more)

        // A room left is no longer caught up; its events stay in the log.
        try await store.leave(alice, room: room("#b"))
        let afterLeaving = try await store.events(after: .start, forAccount: alice, limit: 1000)
        XCTAssertEqual(afterLeaving.events.count, mine.count - 6)
        XCTAssertFalse(afterLeaving.events.contains { $0.conversation == .room(room("#b")) })
        let nobody = try await store.events(after: .start, forAccount: AccountID(999), limit: 10)
        XCTAssertEqual(nobody, AccountEventPage(events: [], more: false, directConversations: []))
    }
}
