import ChatModel
import ChatStore
import Foundation
import XCTest

/// What every `ConversationStore` and `RoomStore` must do, whatever keeps the data (the
/// contract is written on the protocols). A store's tests subclass this, return a fresh, empty store
/// from `makeStore()`, and call `checkConformance()` from one test (Linux's XCTest does
/// not run inherited test methods; see `AccountStoreConformance`).
class ConversationStoreConformance: XCTestCase {
    typealias Store = RoomStore & AccountStore

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
            ("append", appendKeepsOrderTimeAndSender),
            ("history paging", historyPagesBackwardsWithMore),
            ("after paging", afterPagesForwardsWithMore),
            ("catch-up", catchUpSpansRoomsAndDirectMessagesInOneOrder),
            ("direct pair", directConversationIsTheSameFromEitherSide),
            ("sealed", sealedPayloadsAreStoredByteExact),
            ("membership", membershipBelongsToTheAccount),
            ("offline queue", offlineQueueIsBoundedAndTakenOldestFirst),
            ("offline default", offlineQueueDefaultsToAHundred),
            ("queue a stored event", queueingAStoredEventNeedsNoRoom),
            ("prune by age", pruningByAgeKeepsNewerEvents),
            ("prune by count", pruningByCountKeepsTheNewestPerConversation),
            ("delete account", deletingAnAccountDropsItsMembershipsAndQueue),
        ] + roomChecks + catchUpChecks + loginChecks
    }

    let start = Date(timeIntervalSince1970: 1_796_000_000.123)

    func name(_ text: String) -> UserName { UserName(text)! }
    func room(_ text: String) -> RoomName { RoomName(text)! }

    func account(_ store: any Store, _ user: String) async throws -> AccountID {
        try await store.addAccount(name(user), passwordHash: "h")
        return try await XCTUnwrapAsync(try await store.account(named: name(user))).credential.account
    }

    func message(_ text: String, in conversation: ConversationID, from sender: AccountID = AccountID(1), at offset: TimeInterval = 0)
        -> NewEvent
    {
        NewEvent(conversation: conversation, sender: sender, senderName: name("user\(sender.rawValue)"), text: text, sentAt: start + offset)
    }

    /// Appends `count` messages "0", "1", … to `conversation`, one call each.
    @discardableResult
    func fill(_ store: any Store, _ conversation: ConversationID, count: Int, prefix: String = "") async throws -> [EventID] {
        var ids: [EventID] = []
        for index in 0..<count {
            ids += try await store.append([message("\(prefix)\(index)", in: conversation, at: Double(index))])
        }
        return ids
    }

    // MARK: the log

    func appendKeepsOrderTimeAndSender(_ store: any Store) async throws {
        let lobby = ConversationID.room(room("#Lobby"))
        let batch = (0..<5).map { message("m\($0)", in: lobby, from: AccountID(7), at: Double($0) * 0.001) }
        let ids = try await store.append(batch)
        XCTAssertEqual(ids.count, 5)
        XCTAssertEqual(ids, ids.sorted())
        XCTAssertEqual(Set(ids).count, 5)
        let none = try await store.append([])
        XCTAssertEqual(none, [])

        let page = try await store.history(of: .room(room("#lobby")), before: nil, limit: 50)
        XCTAssertFalse(page.more)
        XCTAssertEqual(page.events.map(\.id), ids)
        XCTAssertEqual(page.events.map(\.text), ["m0", "m1", "m2", "m3", "m4"])
        let first = try XCTUnwrap(page.events.first)
        XCTAssertEqual(first.kind, .roomMessage)
        XCTAssertEqual(first.sender, AccountID(7))
        XCTAssertEqual(first.senderName.display, "user7")
        XCTAssertEqual(first.conversation, lobby)
        XCTAssertEqual(page.events.map { Int64(($0.sentAt.timeIntervalSince1970 * 1000).rounded()) }, (0..<5).map { 1_796_000_000_123 + Int64($0) })

        let empty = try await store.history(of: .room(room("#empty")), before: nil, limit: 50)
        XCTAssertEqual(empty, EventPage(events: [], more: false))
    }

    func historyPagesBackwardsWithMore(_ store: any Store) async throws {
        let rust = ConversationID.room(room("#rust"))
        let ids = try await fill(store, rust, count: 25)
        try await fill(store, .room(room("#other")), count: 3)

        let newest = try await store.history(of: rust, before: nil, limit: 10)
        XCTAssertEqual(newest.events.map(\.id), Array(ids[15..<25]))
        XCTAssertTrue(newest.more)
        let middle = try await store.history(of: rust, before: newest.events[0].id, limit: 10)
        XCTAssertEqual(middle.events.map(\.id), Array(ids[5..<15]))
        XCTAssertTrue(middle.more)
        let oldest = try await store.history(of: rust, before: middle.events[0].id, limit: 10)
        XCTAssertEqual(oldest.events.map(\.id), Array(ids[0..<5]))
        XCTAssertFalse(oldest.more)
        let exact = try await store.history(of: rust, before: ids[10], limit: 10)
        XCTAssertEqual(exact.events.map(\.id), Array(ids[0..<10]))
        XCTAssertFalse(exact.more, "exactly the last ten: nothing older")
        let clamped = try await store.history(of: rust, before: nil, limit: 0)
        XCTAssertEqual(clamped.events.map(\.id), [ids[24]], "limit is clamped to at least one")
    }

    func afterPagesForwardsWithMore(_ store: any Store) async throws {
        let rust = ConversationID.room(room("#rust"))
        let ids = try await fill(store, rust, count: 12)
        let first = try await store.events(after: .start, in: [rust], limit: 5)
        XCTAssertEqual(first.events.map(\.id), Array(ids[0..<5]))
        XCTAssertTrue(first.more)
        let second = try await store.events(after: ids[4], in: [rust], limit: 5)
        XCTAssertEqual(second.events.map(\.id), Array(ids[5..<10]))
        XCTAssertTrue(second.more)
        let last = try await store.events(after: ids[9], in: [rust], limit: 5)
        XCTAssertEqual(last.events.map(\.id), Array(ids[10..<12]))
        XCTAssertFalse(last.more)
        let done = try await store.events(after: ids[11], in: [rust], limit: 5)
        XCTAssertEqual(done, EventPage(events: [], more: false))
        let nothing = try await store.events(after: .start, in: [], limit: 5)
        XCTAssertEqual(nothing, EventPage(events: [], more: false))
    }

    func catchUpSpansRoomsAndDirectMessagesInOneOrder(_ store: any Store) async throws {
        let rooms = [ConversationID.room(room("#a")), .room(room("#b"))]
        let direct = ConversationID.direct(AccountID(1), AccountID(2))
        let elsewhere = ConversationID.room(room("#c"))
        var mine: [EventID] = []
        for round in 0..<10 {
            for conversation in rooms + [direct] {
                mine += try await store.append([message("\(conversation) \(round)", in: conversation)])
            }
            try await store.append([message("not mine \(round)", in: elsewhere)])
        }
        let seen = mine[4]
        var caughtUp: [StoredEvent] = []
        var cursor = seen
        var pages = 0
        while true {
            let page = try await store.events(after: cursor, in: rooms + [direct, .direct(AccountID(2), AccountID(1))], limit: 7)
            caughtUp += page.events
            pages += 1
            guard page.more, let last = page.events.last else { break }
            cursor = last.id
        }
        XCTAssertEqual(caughtUp.map(\.id), Array(mine[5...]), "every missed event once, in id order, none from #c")
        XCTAssertEqual(pages, 4)
        XCTAssertEqual(caughtUp.first?.conversation, direct)
    }

    func directConversationIsTheSameFromEitherSide(_ store: any Store) async throws {
        let alice = AccountID(3)
        let bob = AccountID(11)
        XCTAssertEqual(ConversationID.direct(alice, bob), .direct(bob, alice))
        XCTAssertNotEqual(ConversationID.direct(alice, bob), .direct(alice, AccountID(4)))
        let first = try await store.append([message("hi bob", in: .direct(alice, bob), from: alice)])
        let second = try await store.append([message("hi alice", in: .direct(bob, alice), from: bob)])
        let page = try await store.history(of: .direct(bob, alice), before: nil, limit: 10)
        XCTAssertEqual(page.events.map(\.id), first + second)
        XCTAssertEqual(page.events.map(\.kind), [.directMessage, .directMessage])
        XCTAssertEqual(page.events.map(\.sender), [alice, bob])
        XCTAssertEqual(page.events.map(\.text), ["hi bob", "hi alice"])
    }

    func sealedPayloadsAreStoredByteExact(_ store: any Store) async throws {
        let direct = ConversationID.direct(AccountID(1), AccountID(2))
        let payloads: [[UInt8]] = [Array(0...255), Array((0...255).reversed()) + [0, 0], [0], []]
        let events = payloads.map {
            NewEvent(conversation: direct, kind: .sealedDirectMessage, sender: AccountID(1), senderName: name("alice"), body: $0, sentAt: start)
        }
        let ids = try await store.append(events)
        let page = try await store.history(of: direct, before: nil, limit: 10)
        XCTAssertEqual(page.events.map(\.id), ids)
        XCTAssertEqual(page.events.map(\.body), payloads)
        XCTAssertEqual(page.events.map(\.kind), Array(repeating: .sealedDirectMessage, count: payloads.count))
        XCTAssertEqual(page.events.map(\.text), Array(repeating: nil, count: payloads.count), "never read as text")
    }

    // MARK: membership

    func membershipBelongsToTheAccount(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let created = try await store.join(alice, room: room("#Rust"))
        XCTAssertEqual(created, .created)
        let again = try await store.join(alice, room: room("#rust"))
        XCTAssertEqual(again, .alreadyMember)
        let lobby = try await store.join(alice, room: room("#lobby"))
        XCTAssertEqual(lobby, .alreadyMember, "a new account starts in the lobby")
        let joined = try await store.join(bob, room: room("#rust"))
        XCTAssertEqual(joined, .joined)
        let ghost = try await store.join(AccountID(999), room: room("#rust"))
        XCTAssertEqual(ghost, .noSuchAccount)

        let rooms = try await store.rooms(of: alice)
        XCTAssertEqual(rooms.map(\.display), ["#lobby", "#Rust"], "ordered by key, spelled as joined")
        let members = try await store.members(of: room("#RUST"))
        XCTAssertEqual(members, [alice, bob].sorted { $0.rawValue < $1.rawValue })

        let left = try await store.leave(alice, room: room("#rust"))
        XCTAssertTrue(left)
        let leftAgain = try await store.leave(alice, room: room("#rust"))
        XCTAssertFalse(leftAgain)
        let remaining = try await store.members(of: room("#rust"))
        XCTAssertEqual(remaining, [bob])
        let aliceRooms = try await store.rooms(of: alice)
        XCTAssertEqual(aliceRooms, [room("#lobby")])
        let nobody = try await store.members(of: room("#nowhere"))
        XCTAssertEqual(nobody, [])
    }

    // MARK: offline queue

    func offlineQueueIsBoundedAndTakenOldestFirst(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let direct = ConversationID.direct(alice, bob)
        var queued: [EventID] = []
        for index in 0..<3 {
            let result = try await store.enqueueOffline(message("dm \(index)", in: direct, from: alice), for: bob, limit: 3)
            guard case .queued(let id) = result else { return XCTFail("not queued: \(result)") }
            queued.append(id)
        }
        let full = try await store.enqueueOffline(message("one too many", in: direct, from: alice), for: bob, limit: 3)
        XCTAssertEqual(full, .queueFull)
        let ghost = try await store.enqueueOffline(message("x", in: .direct(alice, AccountID(999)), from: alice), for: AccountID(999), limit: 3)
        XCTAssertEqual(ghost, .noSuchAccount)

        let taken = try await store.takeOffline(for: bob)
        XCTAssertEqual(taken.map(\.id), queued)
        XCTAssertEqual(taken.map(\.text), ["dm 0", "dm 1", "dm 2"])
        let twice = try await store.takeOffline(for: bob)
        XCTAssertEqual(twice, [], "taken once")
        let history = try await store.history(of: direct, before: nil, limit: 10)
        XCTAssertEqual(history.events.map(\.id), queued, "the refused message was not stored; the taken ones stay in the log")
        let room = try await store.enqueueOffline(message("again", in: direct, from: alice), for: bob, limit: 3)
        XCTAssertNotEqual(room, .queueFull, "taking frees the queue")
    }

    func offlineQueueDefaultsToAHundred(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        for index in 0..<defaultOfflineQueueLimit {
            let result = try await store.enqueueOffline(message("\(index)", in: .direct(alice, bob), from: alice), for: bob)
            guard case .queued = result else { return XCTFail("message \(index): \(result)") }
        }
        let full = try await store.enqueueOffline(message("101", in: .direct(alice, bob), from: alice), for: bob)
        XCTAssertEqual(full, .queueFull)
        let forAlice = try await store.enqueueOffline(message("back", in: .direct(alice, bob), from: bob), for: alice)
        guard case .queued = forAlice else { return XCTFail("the cap is per recipient: \(forAlice)") }
        let taken = try await store.takeOffline(for: bob)
        XCTAssertEqual(taken.map(\.text), (0..<defaultOfflineQueueLimit).map { "\($0)" })
    }

    func queueingAStoredEventNeedsNoRoom(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let direct = ConversationID.direct(alice, bob)
        for index in 0..<2 {
            _ = try await store.enqueueOffline(message("queued \(index)", in: direct, from: alice), for: bob, limit: 2)
        }
        // Acknowledged to its sender while bob was online, then bob went: it is
        // queued even past the cap, once however often it is queued.
        let late = try await store.append([message("acknowledged", in: direct, from: alice)])[0]
        try await store.queueOffline(late, for: bob)
        try await store.queueOffline(late, for: bob)
        try await store.queueOffline(EventID(late.rawValue + 1_000), for: bob)  // no such event: nothing
        try await store.queueOffline(late, for: AccountID(999))  // no such account: nothing
        let taken = try await store.takeOffline(for: bob)
        XCTAssertEqual(taken.map(\.text), ["queued 0", "queued 1", "acknowledged"])
    }

    // MARK: retention

    func pruningByAgeKeepsNewerEvents(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let rust = ConversationID.room(room("#rust"))
        let ids = try await fill(store, rust, count: 10)
        let old = try await store.enqueueOffline(message("old", in: .direct(alice, bob), from: alice, at: 1), for: bob)
        let new = try await store.enqueueOffline(message("new", in: .direct(alice, bob), from: alice, at: 100), for: bob)
        XCTAssertNotEqual(old, .queueFull)

        let removed = try await store.prune(olderThan: start + 5, maxPerConversation: 1_000)
        XCTAssertEqual(removed, 6, "messages 0-4 of #rust and the old DM")
        let left = try await store.history(of: rust, before: nil, limit: 50)
        XCTAssertEqual(left.events.map(\.id), Array(ids[5...]))
        let taken = try await store.takeOffline(for: bob)
        XCTAssertEqual(taken.map(\.text), ["new"], "a pruned message leaves the queue too")
        guard case .queued(let newID) = new else { return XCTFail("\(new)") }
        XCTAssertEqual(taken.map(\.id), [newID])

        let policy = RetentionPolicy.default
        XCTAssertEqual(policy.maxAge, 30 * 24 * 3600)
        let none = try await store.prune(policy, now: start + 100)
        XCTAssertEqual(none, 0)
    }

    func pruningByCountKeepsTheNewestPerConversation(_ store: any Store) async throws {
        let rust = ConversationID.room(room("#rust"))
        let go = ConversationID.room(room("#go"))
        let rustIDs = try await fill(store, rust, count: 8)
        let goIDs = try await fill(store, go, count: 2)
        let removed = try await store.prune(olderThan: start - 1, maxPerConversation: 3)
        XCTAssertEqual(removed, 5)
        let rustLeft = try await store.history(of: rust, before: nil, limit: 50)
        XCTAssertEqual(rustLeft.events.map(\.id), Array(rustIDs[5...]))
        let goLeft = try await store.history(of: go, before: nil, limit: 50)
        XCTAssertEqual(goLeft.events.map(\.id), goIDs)
        let next = try await store.append([message("after", in: rust)])
        XCTAssertGreaterThan(next[0], goIDs.last!, "ids are never reused after pruning")
    }

    // MARK: accounts

    func deletingAnAccountDropsItsMembershipsAndQueue(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        try await store.join(bob, room: room("#rust"))
        try await store.join(alice, room: room("#rust"))
        _ = try await store.enqueueOffline(message("for bob", in: .direct(alice, bob), from: alice), for: bob)
        _ = try await store.enqueueOffline(message("for alice", in: .direct(alice, bob), from: bob), for: alice)

        let deleted = try await store.deleteAccount(name("bob"))
        XCTAssertTrue(deleted)
        let bobRooms = try await store.rooms(of: bob)
        XCTAssertEqual(bobRooms, [])
        let members = try await store.members(of: room("#rust"))
        XCTAssertEqual(members, [alice])
        let bobQueue = try await store.takeOffline(for: bob)
        XCTAssertEqual(bobQueue, [])
        let aliceQueue = try await store.takeOffline(for: alice)
        XCTAssertEqual(aliceQueue.map(\.text), ["for alice"], "what bob sent stays")

        let newBob = try await account(store, "bob")
        let newRooms = try await store.rooms(of: newBob)
        XCTAssertEqual(newRooms, [.lobby], "a re-created name starts in the lobby only")
    }
}
