import ChatTestSupport
import XCTest

/// `/chathistory`: one conversation paged by id both ways, always stamped, with the
/// `more` marker; rooms only for members, users by name.
final class ChatHistoryTests: XCTestCase {
    /// bob posts `count` lines to `room`; returns their ids from his stamped `OK say`.
    private func post(_ count: Int, as bob: TestLineClient, to room: String, prefix: String) async throws -> [Int64] {
        var ids: [Int64] = []
        for index in 0..<count {
            try await bob.send("/say \(room) \(prefix)\(index)")
            ids.append(try await expectStamped(bob, "OK say \(room)"))
        }
        return ids
    }

    func testARoomPagesBackwardsAndForwardsWithTheMoreMarker() async throws {
        let harness = try await ServerHarness.start(for: self)
        let bob = try await harness.loginWithIDs("bob")
        let ids = try await post(25, as: bob, to: "#lobby", prefix: "m")
        XCTAssertEqual(ids, ids.sorted())
        XCTAssertEqual(Set(ids).count, 25)
        // A session without the capability still gets stamps here: ids are the point.
        let alice = try await harness.login("alice")

        try await alice.send("/chathistory latest #LOBBY 10")
        var page = try await readPage(alice)
        XCTAssertEqual(page.lines.map(\.id), Array(ids[15...]))
        XCTAssertEqual(page.lines.map(\.line), (15..<25).map { "MSG #lobby bob m\($0)" })
        XCTAssertEqual(page.ok, "OK chathistory #lobby 10 more")
        try await alice.send("/chathistory before #lobby \(ids[15]) 10")
        page = try await readPage(alice)
        XCTAssertEqual(page.lines.map(\.id), Array(ids[5..<15]))
        XCTAssertEqual(page.ok, "OK chathistory #lobby 10 more")
        try await alice.send("/chathistory before #lobby \(ids[5]) 10")
        page = try await readPage(alice)
        XCTAssertEqual(page.lines.map(\.id), Array(ids[0..<5]))
        XCTAssertEqual(page.ok, "OK chathistory #lobby 5")

        try await alice.send("/chathistory after #lobby 0 10")
        page = try await readPage(alice)
        XCTAssertEqual(page.lines.map(\.id), Array(ids[0..<10]))
        XCTAssertEqual(page.ok, "OK chathistory #lobby 10 more")
        try await alice.send("/chathistory after #lobby \(ids[9]) 10")
        page = try await readPage(alice)
        XCTAssertEqual(page.lines.map(\.id), Array(ids[10..<20]))
        XCTAssertEqual(page.ok, "OK chathistory #lobby 10 more")
        try await alice.send("/chathistory after #lobby \(ids[19])")
        page = try await readPage(alice)
        XCTAssertEqual(page.lines.map(\.id), Array(ids[20...]))
        XCTAssertEqual(page.ok, "OK chathistory #lobby 5")

        // Exclusive bounds, either order, paging towards the newer bound.
        try await alice.send("/chathistory between #lobby \(ids[3]) \(ids[12]) 4")
        page = try await readPage(alice)
        XCTAssertEqual(page.lines.map(\.id), Array(ids[4..<8]))
        XCTAssertEqual(page.ok, "OK chathistory #lobby 4 more")
        try await alice.send("/chathistory between #lobby \(ids[12]) \(ids[7])")
        page = try await readPage(alice)
        XCTAssertEqual(page.lines.map(\.id), Array(ids[8..<12]))
        XCTAssertEqual(page.ok, "OK chathistory #lobby 4")
        try await alice.send("/chathistory after #lobby \(ids[24])")
        page = try await readPage(alice)
        XCTAssertEqual(page.lines, [])
        XCTAssertEqual(page.ok, "OK chathistory #lobby 0")
        for client in [alice, bob] {
            try await expectNothingPending(client)
            await client.close()
        }
    }

    func testADirectConversationShowsBothSidesAndWhatEachSent() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.loginWithIDs("alice")
        let bob = try await harness.loginWithIDs("bob")
        try await alice.send("/msg bob hi bob")
        let first = try await expectStamped(alice, "OK msg bob")
        try await expectStamped(bob, "DM alice hi bob")
        try await bob.send("/emsg alice \(sealedPayload)")
        let second = try await expectStamped(bob, "OK emsg alice")
        try await expectStamped(alice, "EDM bob \(sealedPayload)")
        try await alice.send("/emsg bob \(sealedPayload)")
        let third = try await expectStamped(alice, "OK emsg bob")
        try await expectStamped(bob, "EDM alice \(sealedPayload)")
        try await bob.send("/msg alice hi alice")
        let fourth = try await expectStamped(bob, "OK msg alice")
        try await expectStamped(alice, "DM bob hi alice")
        // Someone else's DM with bob is not alice's.
        let carol = try await harness.login("carol")
        try await carol.send("/msg bob not for alice")
        try await expect(carol, "OK msg bob")
        try await expectStamped(bob, "DM carol not for alice")

        try await alice.send("/chathistory latest BOB")
        var page = try await readPage(alice)
        XCTAssertEqual(page.lines.map(\.id), [first, second, third, fourth])
        XCTAssertEqual(
            page.lines.map(\.line), ["DMSENT bob hi bob", "EDM bob \(sealedPayload)", "EDMSENT bob \(sealedPayload)", "DM bob hi alice"])
        XCTAssertEqual(page.ok, "OK chathistory bob 4")

        try await bob.send("/chathistory before alice \(fourth) 2")
        page = try await readPage(bob)
        XCTAssertEqual(page.lines.map(\.line), ["EDMSENT alice \(sealedPayload)", "EDM alice \(sealedPayload)"])
        XCTAssertEqual(page.ok, "OK chathistory alice 2 more")

        try await carol.send("/chathistory latest alice")
        page = try await readPage(carol)
        XCTAssertEqual(page.lines, [])
        XCTAssertEqual(page.ok, "OK chathistory alice 0")
        try await carol.send("/chathistory latest nobody")
        try await expect(carol, "ERR no-such-user no such user")
        try await carol.send("/chathistory latest bad:name")
        try await expect(carol, "ERR no-such-user no such user")
        for client in [alice, bob, carol] {
            try await expectNothingPending(client)
            await client.close()
        }
    }

    func testARoomTheAccountLeftOrNeverJoinedIsRefused() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        try await alice.send("/join #rust")
        try await expect(alice, "OK join #rust")
        let bob = try await harness.login("bob")
        try await bob.send("/join #rust")
        try await expect(bob, "OK join #rust")
        try await expect(alice, "JOIN #rust bob")
        try await alice.send("/say #rust before leaving")
        try await expect(bob, "MSG #rust alice before leaving")

        try await alice.send("/chathistory latest #rust")
        let page = try await readPage(alice)
        XCTAssertEqual(page.lines.map(\.line), ["MSG #rust alice before leaving"])
        XCTAssertEqual(page.ok, "OK chathistory #rust 1")
        try await alice.send("/leave #rust")
        try await expect(alice, "OK leave #rust")
        try await expect(bob, "LEAVE #rust alice")
        try await alice.send("/chathistory latest #rust")
        try await expect(alice, "ERR not-in-room you are not in #rust")
        try await alice.send("/chathistory after #nowhere 0")
        try await expect(alice, "ERR not-in-room you are not in #nowhere")
        try await alice.send("/catchup 0")
        let caughtUp = try await readPage(alice)
        XCTAssertFalse(caughtUp.lines.contains { $0.line.contains("#rust") }, "a room left is not caught up")
        XCTAssertEqual(caughtUp.ok, "OK catchup \(caughtUp.lines.count)")

        try await alice.send("/chathistory latest #lobby 0")
        try await expect(alice, prefix: "ERR bad-arguments usage: /chathistory latest <target> [limit]")
        try await alice.send("/catchup -1")
        try await expect(alice, "ERR bad-arguments usage: /catchup <id> [limit]")
        let anonymous = try await harness.connect()
        try await anonymous.send("/chathistory latest #lobby")
        try await expect(anonymous, "ERR login-required log in first: /login <name> <password>")
        try await anonymous.send("/catchup 0")
        try await expect(anonymous, "ERR login-required log in first: /login <name> <password>")
        for client in [alice, bob, anonymous] {
            try await expectNothingPending(client)
            await client.close()
        }
    }
}
