import ChatServer
import ChatTestSupport
import Logging
import XCTest

/// Private rooms against a real server: owners, invitations, kicks, topics, drops,
/// and what the others may see and do.
final class PrivateRoomTests: XCTestCase {
    /// alice makes `#plans`, makes it private and brings in each of `members`.
    private func privatePlans(_ alice: TestLineClient, with members: [(String, TestLineClient)]) async throws {
        try await alice.send("/join #plans")
        try await expect(alice, "OK join #plans")
        try await alice.send("/private #plans")
        try await expect(alice, "OK private #plans")
        var inRoom: [TestLineClient] = [alice]
        for (name, client) in members {
            try await alice.send("/invite \(name) #plans")
            try await expect(alice, "OK invite \(name) #plans")
            try await expect(client, "INVITE #plans alice")
            try await client.send("/join #plans")
            try await expect(client, "OK join #plans")
            for member in inRoom {
                try await expect(member, "JOIN #plans \(name)")
            }
            inRoom.append(client)
        }
    }

    func testOnlyInvitedAccountsGetInAndOnlyMembersLookInside() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        let carol = try await harness.login("carol")

        try await alice.send("/join #plans")
        try await expect(alice, "OK join #plans")
        try await alice.send("/private #plans")
        try await expect(alice, "OK private #plans")
        try await bob.send("/join #plans")
        try await expect(bob, prefix: "ERR not-invited ")

        try await alice.send("/invite nobody #plans")
        try await expect(alice, prefix: "ERR no-such-user ")
        try await alice.send("/invite bob #nowhere")
        try await expect(alice, prefix: "ERR no-such-room ")
        try await alice.send("/invite BOB #Plans")
        try await expect(alice, "OK invite bob #plans")
        try await expect(bob, "INVITE #plans alice")
        // An invited account sees the room listed before it joins; others do not.
        try await bob.send("/rooms")
        try await expect(bob, "ROOMS #lobby #plans")
        try await carol.send("/rooms")
        try await expect(carol, "ROOMS #lobby")

        try await bob.send("/join #plans")
        try await expect(bob, "OK join #plans")
        try await expect(alice, "JOIN #plans bob")
        // The invitation is not used up: bob may come back after leaving.
        try await bob.send("/leave #plans")
        try await expect(bob, "OK leave #plans")
        try await expect(alice, "LEAVE #plans bob")
        try await bob.send("/join #plans")
        try await expect(bob, "OK join #plans")
        try await expect(alice, "JOIN #plans bob")
        try await alice.send("for members only")
        try await expect(bob, "MSG #plans alice for members only")

        // carol, never invited, can neither enter nor look in.
        try await carol.send("/join #PLANS")
        try await expect(carol, "ERR not-invited #PLANS is private; its owner must /invite you")
        try await carol.send("/who #plans")
        try await expect(carol, prefix: "ERR not-in-room ")
        try await carol.send("/history #plans")
        try await expect(carol, prefix: "ERR not-in-room ")
        try await carol.send("/topic #plans")
        try await expect(carol, prefix: "ERR not-in-room ")
        try await carol.send("/say #plans let me in")
        try await expect(carol, prefix: "ERR not-in-room ")
        try await bob.send("/who #plans")
        try await expect(bob, "USERS #plans alice bob")
        for client in [alice, bob] { try await expectNothingPending(client) }
        for client in [alice, bob, carol] { await client.close() }
    }

    func testAKickedMemberHearsNothingMoreAndNeedsANewInvitation() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        let bobElsewhere = try await harness.login("bob")
        let carol = try await harness.login("carol")
        try await alice.send("/join #plans")
        try await expect(alice, "OK join #plans")
        try await alice.send("/private #plans")
        try await expect(alice, "OK private #plans")
        for (name, client) in [("bob", bob), ("carol", carol)] {
            try await alice.send("/invite \(name) #plans")
            try await expect(alice, "OK invite \(name) #plans")
            try await expect(client, "INVITE #plans alice")
            try await client.send("/join #plans")
            try await expect(client, "OK join #plans")
            try await expect(alice, "JOIN #plans \(name)")
        }
        // bob's other session was invited and joined along with him.
        for line in ["INVITE #plans alice", "JOIN #plans bob", "JOIN #plans carol"] { try await expect(bobElsewhere, line) }
        try await expect(bob, "JOIN #plans carol")
        try await alice.send("before the kick")
        for client in [bob, bobElsewhere, carol] { try await expect(client, "MSG #plans alice before the kick") }

        try await alice.send("/kick bob #plans")
        try await expect(alice, "OK kick bob #plans")
        for client in [bob, bobElsewhere, carol] { try await expect(client, "KICK #plans bob alice") }
        try await alice.send("after the kick")
        try await expect(carol, "MSG #plans alice after the kick")
        for client in [bob, bobElsewhere] { try await expectNothingPending(client) }

        // bob's text meant for #plans goes nowhere, not to another room.
        try await bob.send("was that meant for me?")
        try await expect(bob, "ERR not-in-room you are not in #plans")
        try await bob.send("/history #plans")
        try await expect(bob, prefix: "ERR not-in-room ")
        try await bob.send("/who #plans")
        try await expect(bob, prefix: "ERR not-in-room ")
        try await bobElsewhere.send("/join #plans")
        try await expect(bobElsewhere, prefix: "ERR not-invited ")
        try await bob.send("/rooms")
        try await expect(bob, "ROOMS #lobby")
        for client in [alice, carol] { try await expectNothingPending(client) }

        // Kicking again finds nothing to remove; the owner cannot kick itself.
        try await alice.send("/kick bob #plans")
        try await expect(alice, "ERR not-in-room bob is neither in the room nor invited to it")
        try await alice.send("/kick alice #plans")
        try await expect(alice, prefix: "ERR bad-arguments ")
        try await alice.send("/kick nobody #plans")
        try await expect(alice, prefix: "ERR no-such-user ")

        // A new invitation lets bob back, history and all.
        try await alice.send("/invite bob #plans")
        try await expect(alice, "OK invite bob #plans")
        for client in [bob, bobElsewhere] { try await expect(client, "INVITE #plans alice") }
        try await bob.send("/join #plans")
        try await expect(bob, "OK join #plans")
        try await bob.send("/history #plans")
        for text in ["before the kick", "after the kick"] {
            let line = try await expect(bob, prefix: "HISTORY #plans ")
            XCTAssertEqual(line?.hasSuffix(" alice \(text)"), true, line ?? "")
        }
        try await expect(bob, "OK history #plans 2")
        for client in [alice, bob, bobElsewhere, carol] { await client.close() }
    }

    func testAnInvitationAloneCanBeWithdrawnByAKick() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        try await alice.send("/join #plans")
        try await expect(alice, "OK join #plans")
        try await alice.send("/private #plans")
        try await expect(alice, "OK private #plans")
        try await alice.send("/invite bob #plans")
        try await expect(alice, "OK invite bob #plans")
        try await expect(bob, "INVITE #plans alice")
        try await alice.send("/kick bob #plans")
        try await expect(alice, "OK kick bob #plans")
        try await expect(bob, "KICK #plans bob alice")
        try await bob.send("/join #plans")
        try await expect(bob, prefix: "ERR not-invited ")
        for client in [alice, bob] { await client.close() }
    }

    func testTheTopicIsShownOnJoinOnRequestAndWhenItChanges() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        let carol = try await harness.login("carol")

        try await alice.send("/join #plans")
        try await expect(alice, "OK join #plans")
        try await alice.send("/topic #plans")
        try await expect(alice, "TOPIC #plans")
        try await alice.send("/topic #plans release on  Friday")
        try await expect(alice, "OK topic #plans")

        try await bob.send("/join #PLANS")
        try await expect(bob, "OK join #plans")
        try await expect(bob, "TOPIC #plans release on  Friday")
        try await expect(alice, "JOIN #plans bob")
        // Joining a room one is in already only makes it current.
        try await bob.send("/join #plans")
        try await expect(bob, "OK join #plans")
        try await bob.send("/topic #plans")
        try await expect(bob, "TOPIC #plans release on  Friday")
        // Anyone may read the topic of a public room, as its member list.
        try await carol.send("/topic #plans")
        try await expect(carol, "TOPIC #plans release on  Friday")
        try await carol.send("/topic #nowhere")
        try await expect(carol, prefix: "ERR no-such-room ")

        try await bob.send("/topic #plans mine now")
        try await expect(bob, prefix: "ERR not-owner ")
        try await alice.send("/topic #plans moved to Monday")
        try await expect(alice, "OK topic #plans")
        try await expect(bob, "TOPIC #plans moved to Monday")
        try await alice.send("/topic #plans -")
        try await expect(alice, "OK topic #plans")
        try await expect(bob, "TOPIC #plans")
        try await bob.send("/topic #plans")
        try await expect(bob, "TOPIC #plans")

        // At most 300 bytes, counted as UTF-8.
        let longest = String(repeating: "é", count: 150)
        try await alice.send("/topic #plans \(longest)x")
        try await expect(alice, "ERR bad-arguments topics are limited to 300 bytes")
        try await alice.send("/topic #plans \(longest)")
        try await expect(alice, "OK topic #plans")
        try await expect(bob, "TOPIC #plans \(longest)")
        for client in [alice, bob, carol] { try await expectNothingPending(client) }
        for client in [alice, bob, carol] { await client.close() }
    }

    func testEveryOwnersCommandIsRefusedToOthersAndTheLobbyStaysOpen() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        try await privatePlans(alice, with: [("bob", bob)])

        for command in [
            "/private #plans", "/public #plans", "/invite carol #plans", "/kick alice #plans", "/topic #plans mine", "/topic #plans -",
            "/drop #plans",
        ] {
            try await bob.send(command)
            try await expect(bob, "ERR not-owner only the room's owner can do that")
        }
        // About someone else's room, a missing account is not told apart.
        try await bob.send("/invite nobody #plans")
        try await expect(bob, prefix: "ERR not-owner ")
        try await bob.send("/private #nowhere")
        try await expect(bob, prefix: "ERR no-such-room ")
        try await expectNothingPending(alice)

        // Every new account starts in #lobby: it is never private and never dropped,
        // even by its owner (alice, the first account).
        try await alice.send("/private #lobby")
        try await expect(alice, prefix: "ERR bad-arguments ")
        try await alice.send("/drop #LOBBY")
        try await expect(alice, prefix: "ERR bad-arguments ")
        let carol = try await harness.login("carol")
        try await carol.send("/leave #lobby")
        try await expect(carol, "OK leave #lobby")
        try await carol.send("/join #lobby")
        try await expect(carol, "OK join #lobby")
        for client in [alice, bob, carol] { await client.close() }
    }

    func testPublicOpensAPrivateRoomAgain() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let carol = try await harness.login("carol")
        try await privatePlans(alice, with: [])
        try await carol.send("/join #plans")
        try await expect(carol, prefix: "ERR not-invited ")
        try await alice.send("/public #plans")
        try await expect(alice, "OK public #plans")
        try await carol.send("/join #plans")
        try await expect(carol, "OK join #plans")
        try await expect(alice, "JOIN #plans carol")
        for client in [alice, carol] { await client.close() }
    }

    func testDropRemovesTheRoomAndTellsItsMembers() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        try await privatePlans(alice, with: [("bob", bob)])

        try await alice.send("/drop #plans")
        try await expect(alice, "OK drop #plans")
        try await expect(bob, "DROP #plans alice")
        // bob's current room is gone: its text goes nowhere, not to #lobby.
        try await bob.send("still there?")
        try await expect(bob, "ERR not-in-room you are not in #plans")
        try await alice.send("/say #plans hello?")
        try await expect(alice, prefix: "ERR not-in-room ")
        for client in [alice, bob] {
            try await client.send("/rooms")
            try await expect(client, "ROOMS #lobby")
        }
        // The name is free again: whoever joins first owns a new, public room.
        try await bob.send("/join #plans")
        try await expect(bob, "OK join #plans")
        try await alice.send("/join #plans")
        try await expect(alice, "OK join #plans")
        try await expect(bob, "JOIN #plans alice")
        for client in [alice, bob] { await client.close() }
    }

    func testAPrivateRoomOutlivesItsLastMemberAndARestart() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        let carol = try await harness.login("carol")
        try await privatePlans(alice, with: [("bob", bob)])
        try await alice.send("/topic #plans the plan")
        try await expect(alice, "OK topic #plans")
        try await expect(bob, "TOPIC #plans the plan")
        try await alice.send("kept for later")
        try await expect(bob, "MSG #plans alice kept for later")

        // Both leave: a public room would go, a private one stays for its owner.
        try await bob.send("/leave #plans")
        try await expect(bob, "OK leave #plans")
        try await expect(alice, "LEAVE #plans bob")
        try await alice.send("/leave #plans")
        try await expect(alice, "OK leave #plans")
        try await alice.send("/rooms")
        try await expect(alice, "ROOMS #lobby #plans")
        try await carol.send("/rooms")
        try await expect(carol, "ROOMS #lobby")
        try await carol.send("/join #plans")
        try await expect(carol, prefix: "ERR not-invited ")
        try await bob.send("/join #plans")
        try await expect(bob, "OK join #plans")
        try await expect(bob, "TOPIC #plans the plan")
        for client in [alice, bob, carol] { await client.close() }

        // A new server on the same database: owner, privacy, topic, invitations and
        // membership are all still there.
        await harness.server.stop()
        let restarted = try await RestartedServer.start(after: harness, for: self)
        let bobAgain = try await restarted.login("bob")
        try await bobAgain.send("/history #plans")
        let line = try await expect(bobAgain, prefix: "HISTORY #plans ")
        XCTAssertEqual(line?.hasSuffix(" alice kept for later"), true, line ?? "")
        try await expect(bobAgain, "OK history #plans 1")
        try await bobAgain.send("/rooms")
        try await expect(bobAgain, "ROOMS #lobby #plans")
        let carolAgain = try await restarted.login("carol")
        try await carolAgain.send("/join #plans")
        try await expect(carolAgain, prefix: "ERR not-invited ")
        try await carolAgain.send("/who #plans")
        try await expect(carolAgain, prefix: "ERR not-in-room ")
        let aliceAgain = try await restarted.login("alice")
        try await aliceAgain.send("/join #plans")
        try await expect(aliceAgain, "OK join #plans")
        try await expect(aliceAgain, "TOPIC #plans the plan")
        try await expect(bobAgain, "JOIN #plans alice")
        try await aliceAgain.send("/kick bob #plans")
        try await expect(aliceAgain, "OK kick bob #plans")
        try await expect(bobAgain, "KICK #plans bob alice")
        for client in [aliceAgain, bobAgain, carolAgain] { await client.close() }
    }
}

/// A server started on the database and certificates of a harness whose own server
/// was stopped: the same data after a restart. Stopped when the test ends, before
/// the harness removes its files.
private struct RestartedServer {
    let server: ChatServer
    let port: Int
    let harness: ServerHarness

    static func start(after harness: ServerHarness, for testCase: XCTestCase) async throws -> RestartedServer {
        let configuration = ServerHarness.testConfiguration(harness.certificates, harness.directory)
        let logs = CapturedLogs()
        let server = try ChatServer(configuration: configuration, logger: Logger(label: "restarted") { _ in CapturingLogHandler(logs: logs) })
        // Teardown blocks run last-added first: this server stops before the
        // harness's block removes the database.
        testCase.addTeardownBlock { await server.stop() }
        let address = try await server.start()
        return RestartedServer(server: server, port: try XCTUnwrap(address.port), harness: harness)
    }

    func login(_ name: String, file: StaticString = #filePath, line: UInt = #line) async throws -> TestLineClient {
        let client = try await TestLineClient.connect(port: port, context: harness.clientContext, group: ServerHarness.clientGroup)
        try await expect(client, prefix: "HELLO ", file: file, line: line)
        try await client.send("/login \(name) \(ServerHarness.password(of: name))")
        try await expect(client, "OK login \(name)", file: file, line: line)
        return client
    }
}
