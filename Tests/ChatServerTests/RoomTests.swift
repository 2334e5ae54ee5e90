import ChatTestSupport
import XCTest

final class RoomTests: XCTestCase {
    func testPlainTextReachesEveryOtherMemberButNotTheSender() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        let carol = try await harness.login("carol")

        try await alice.send("hello, room")
        try await expect(bob, "MSG #lobby alice hello, room")
        try await expect(carol, "MSG #lobby alice hello, room")
        try await expectNothingPending(alice)

        // A leading "//" sends text that starts with "/".
        try await bob.send("//shrug")
        try await expect(alice, "MSG #lobby bob /shrug")
        try await expect(carol, "MSG #lobby bob /shrug")
        for client in [alice, bob, carol] { await client.close() }
    }

    func testRoomsAreIsolatedAndNamesCaseInsensitive() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        let carol = try await harness.login("carol")

        try await alice.send("/join #Rust")
        try await expect(alice, "OK join #Rust")
        try await bob.send("/join #rust")
        try await expect(bob, "OK join #Rust")  // the creator's spelling
        try await expect(alice, "JOIN #Rust bob")

        try await alice.send("current room is rust now")
        try await expect(bob, "MSG #Rust alice current room is rust now")
        try await alice.send("/say #LOBBY to the lobby")
        try await expect(bob, "MSG #lobby alice to the lobby")
        try await expect(carol, "MSG #lobby alice to the lobby")
        // carol is not in #Rust and saw nothing of it.
        try await expectNothingPending(carol)

        try await carol.send("/rooms")
        try await expect(carol, "ROOMS #lobby #Rust")
        try await carol.send("/who #RUST")
        try await expect(carol, "USERS #Rust alice bob")
        try await carol.send("/say #rust sneaky")
        try await expect(carol, prefix: "ERR not-in-room ")
        for client in [alice, bob, carol] { await client.close() }
    }

    func testLeavingRulesAndRoomErrors() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")

        try await alice.send("/join #dev")
        try await expect(alice, "OK join #dev")
        try await alice.send("/leave #dev")
        try await expect(alice, "OK leave #dev")
        // Leaving the current room made #lobby current again.
        try await alice.send("back in the lobby")
        try await expect(bob, "MSG #lobby alice back in the lobby")

        try await alice.send("/leave #lobby")
        try await expect(alice, "OK leave #lobby")
        try await expect(bob, "LEAVE #lobby alice")
        try await alice.send("into the void")
        try await expect(alice, prefix: "ERR not-in-room ")
        try await alice.send("/who")
        try await expect(alice, prefix: "ERR not-in-room ")

        try await alice.send("/leave #lobby")
        try await expect(alice, prefix: "ERR not-in-room ")
        // Whether a room exists is only told where it is public anyway (/who, /rooms).
        try await alice.send("/leave #nowhere")
        try await expect(alice, prefix: "ERR not-in-room ")
        try await alice.send("/say #nowhere hi")
        try await expect(alice, prefix: "ERR not-in-room ")
        try await alice.send("/who #nowhere")
        try await expect(alice, prefix: "ERR no-such-room ")
        // A public room one is not in may be looked into.
        try await alice.send("/who #lobby")
        try await expect(alice, "USERS #lobby bob")
        for bad in ["/join rust", "/join #", "/join #\(String(repeating: "a", count: 33))", "/join #a.b", "/who #ü"] {
            try await alice.send(bad)
            try await expect(alice, prefix: "ERR bad-room-name ")
        }
        // A room with no members is gone.
        try await alice.send("/rooms")
        try await expect(alice, "ROOMS #lobby")

        try await alice.send("/join")
        try await expect(alice, prefix: "ERR bad-arguments ")
        try await alice.send("/say #lobby")
        try await expect(alice, prefix: "ERR bad-arguments ")
        try await alice.send("/frobnicate now")
        try await expect(alice, prefix: "ERR unknown-command ")
        await alice.close()
        await bob.close()
    }

    /// Membership belongs to the account: a disconnect and a new login change none
    /// of it, and nobody is told of either.
    func testDisconnectAndLoginKeepEveryRoomAndTellNobody() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        try await alice.send("/join #dev")
        try await expect(alice, "OK join #dev")
        try await bob.send("/join #dev")
        try await expect(bob, "OK join #dev")
        try await expect(alice, "JOIN #dev bob")

        await bob.close()  // no /quit: an abrupt disconnect
        let gone = try await harness.waitForLog("connection closed")
        XCTAssertTrue(gone)
        try await alice.send("/who #dev")
        try await expect(alice, "USERS #dev alice")

        let bobAgain = try await harness.login("bob")
        try await alice.send("/say #dev still there?")
        try await expect(bobAgain, "MSG #dev alice still there?")
        try await bobAgain.send("/rooms")
        try await expect(bobAgain, "ROOMS #dev #lobby")
        try await expectNothingPending(alice)
        await alice.close()
        await bobAgain.close()
    }
}

// MARK: Listings and caps

extension RoomTests {
    func testALongRoomListComesInPagesThatNeverOverflowTheAsker() async throws {
        // 300 rooms with 32-letter names: all of them in one ROOMS line (≈ 10 KB)
        // would be past this outbound cap and cut the asker off as a slow consumer;
        // a page of 100 (≈ 3.4 KB) is well inside it.
        let harness = try await ServerHarness.start(for: self) { configuration in
            configuration.maxOutboundQueueBytes = 8 * 1024
            configuration.linesPerSecond = 0
            // Exactly the rooms alice creates: #lobby does not count.
            configuration.maxRoomsPerAccount = 300
        }
        let alice = try await harness.login("alice")
        let created = (0..<300).map { "#Room-\(String(format: "%03d", $0))-" + String(repeating: "x", count: 23) }
        for start in stride(from: 0, to: created.count, by: 100) {
            // A batch's replies (≈ 4.4 KB) also stay inside alice's own cap.
            let batch = created[start..<min(start + 100, created.count)]
            try await alice.sendRaw(Array(batch.map { "/join \($0)\n" }.joined().utf8))
            for room in batch { try await expect(alice, "OK join \(room)") }
        }

        let bob = try await harness.login("bob")
        var listed: [String] = []
        var request = "/rooms"
        var pages = 0
        paging: while pages < 10 {
            try await bob.send(request)
            let line = try await bob.nextLine()
            guard let line else {
                XCTFail("bob was disconnected after \(pages) pages")
                break
            }
            pages += 1
            XCTAssertLessThanOrEqual(line.utf8.count, 4096, "one ROOMS line")
            var fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(fields.removeFirst(), "ROOMS")
            let more = fields.last == "+"
            if more { fields.removeLast() }
            XCTAssertLessThanOrEqual(fields.count, 100)
            listed += fields
            guard more, let last = fields.last else { break paging }
            request = "/rooms \(last)"
        }
        XCTAssertEqual(pages, 4, "301 rooms: 100 + 100 + 100 + 1")
        // Sorted, each room once, in its creator's spelling.
        let expected = ["#lobby"] + created
        XCTAssertEqual(listed.count, expected.count)
        let firstDifference = listed.indices.first { $0 < expected.count && listed[$0] != expected[$0] }
        XCTAssertNil(firstDifference, "listed \(firstDifference.map { listed[$0] } ?? "") where \(firstDifference.map { expected[$0] } ?? "") belongs")
        try await expectNothingPending(bob)
        await alice.close()
        await bob.close()
    }

    func testJoiningPastTheAccountRoomCapIsRefusedAndChangesNothing() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.maxRoomsPerAccount = 3 }
        let alice = try await harness.login("alice")
        for room in ["#a", "#b", "#c"] {
            try await alice.send("/join \(room)")
            try await expect(alice, "OK join \(room)")
        }
        try await alice.send("/join #d")
        try await expect(alice, prefix: "ERR too-many-rooms account limit: ")
        try await alice.send("/rooms")
        try await expect(alice, "ROOMS #a #b #c #lobby")
        // Rooms the account is in, and #lobby, never count as more.
        try await alice.send("/join #A")
        try await expect(alice, "OK join #a")
        try await alice.send("/join #lobby")
        try await expect(alice, "OK join #lobby")

        // The cap is the account's, over all its sessions, which share its rooms.
        let second = try await harness.login("alice")
        try await second.send("/join #d")
        try await expect(second, prefix: "ERR too-many-rooms account limit: ")
        try await second.send("/join #b")
        try await expect(second, "OK join #b")

        // Leaving frees a place for any session of the account; the other session
        // sees its account leave.
        try await alice.send("/leave #a")
        try await expect(alice, "OK leave #a")
        try await expect(second, "LEAVE #a alice")
        try await second.send("/join #d")
        try await expect(second, "OK join #d")
        try await expect(alice, "JOIN #d alice")
        try await second.send("/join #e")
        try await expect(second, prefix: "ERR too-many-rooms account limit: ")

        // A disconnect gives back nothing: the rooms are the account's.
        await second.close()
        try await alice.send("/join #e")
        try await expect(alice, prefix: "ERR too-many-rooms account limit: ")
        try await expectNothingPending(alice)
        await alice.close()
    }

    func testCreatingPastTheServerRoomCapIsRefusedButExistingRoomsStayOpen() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.maxRooms = 3 }
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        for room in ["#a", "#b"] {
            try await alice.send("/join \(room)")
            try await expect(alice, "OK join \(room)")
        }
        try await bob.send("/join #c")
        try await expect(bob, "OK join #c")
        try await bob.send("/join #d")
        try await expect(bob, prefix: "ERR too-many-rooms server limit: ")
        // Rooms that exist stay open to everyone, and #lobby is never counted.
        try await bob.send("/join #a")
        try await expect(bob, "OK join #a")
        try await expect(alice, "JOIN #a bob")
        try await alice.send("/leave #lobby")
        try await expect(alice, "OK leave #lobby")
        try await expect(bob, "LEAVE #lobby alice")
        try await alice.send("/join #lobby")
        try await expect(alice, "OK join #lobby")
        try await expect(bob, "JOIN #lobby alice")

        // A room that empties vanishes and frees its place.
        try await alice.send("/leave #b")
        try await expect(alice, "OK leave #b")
        try await bob.send("/join #d")
        try await expect(bob, "OK join #d")
        try await bob.send("/rooms")
        try await expect(bob, "ROOMS #a #c #d #lobby")
        try await alice.send("/join #b")
        try await expect(alice, prefix: "ERR too-many-rooms server limit: ")
        try await expectNothingPending(alice)
        try await expectNothingPending(bob)
        await alice.close()
        await bob.close()
    }

    func testListingsPageAtTheConfiguredLineLengthAndListEachUserOnce() async throws {
        let users = ServerHarness.defaultUsers + [("Erin", "erin-pw"), ("dave", "dave-pw")]
        let harness = try await ServerHarness.start(for: self, users: users) { $0.maxNamesPerLine = 2 }
        // Logged in one after another, the asker (dave) last, so nobody's JOIN
        // notices are waiting for him.
        var others: [TestLineClient] = []
        for (name, password) in users.dropLast() {
            others.append(try await harness.login(name, password))
        }
        others.append(try await harness.login("alice"))
        let dave = try await harness.login("dave", "dave-pw")

        try await dave.send("/who")
        try await expect(dave, "USERS #lobby alice bob +")
        try await dave.send("/who #lobby bob")
        try await expect(dave, "USERS #lobby carol dave +")
        try await dave.send("/who #LOBBY dave")
        try await expect(dave, "USERS #lobby Erin")
        // Any name says where to go on, listed or not, in any case.
        try await dave.send("/who #lobby B")
        try await expect(dave, "USERS #lobby bob carol +")
        try await dave.send("/who #lobby zz")
        try await expect(dave, "USERS #lobby")

        try await dave.send("/join #b-room")
        try await expect(dave, "OK join #b-room")
        try await dave.send("/join #A-room")
        try await expect(dave, "OK join #A-room")
        try await dave.send("/rooms")
        try await expect(dave, "ROOMS #A-room #b-room +")
        try await dave.send("/rooms #B-ROOM")
        try await expect(dave, "ROOMS #lobby")
        try await dave.send("/rooms +")
        try await expect(dave, prefix: "ERR bad-room-name ")
        try await expectNothingPending(dave)
        for client in others + [dave] { await client.close() }
    }
}
