import ChatTestSupport
import XCTest

/// `/cap` and what `ids` changes: stamps on stored events for the sessions that asked,
/// nothing new for the others (s_client users see today's lines).
final class CapabilityTests: XCTestCase {
    func testNegotiationBeforeAndAfterLogin() async throws {
        let harness = try await ServerHarness.start(for: self)
        let client = try await harness.connect()
        try await client.send("/cap ls")
        try await expect(client, "OK cap ls ids")
        try await client.send("/cap")
        try await expect(client, "ERR bad-arguments usage: /cap ls | /cap req <capability>...")
        try await client.send("/cap req ids frobnicate")
        try await expect(client, "ERR bad-arguments unknown capability frobnicate")
        try await client.send("/cap req -nothing")
        try await expect(client, "ERR bad-arguments unknown capability -nothing")
        try await client.send("/login alice \(ServerHarness.password(of: "alice"))")
        try await expect(client, "OK login alice")

        // The refused request enabled nothing.
        let bob = try await harness.login("bob")
        try await bob.send("hello")
        try await expect(client, "MSG #lobby bob hello")

        try await client.send("/CAP REQ IDS")
        try await expect(client, "OK cap req ids")
        try await bob.send("again")
        try await expectStamped(client, "MSG #lobby bob again")
        try await client.send("/cap req -ids")
        try await expect(client, "OK cap req -ids")
        try await bob.send("plain once more")
        try await expect(client, "MSG #lobby bob plain once more")
        try await client.send("/cap ls")
        try await expect(client, "OK cap ls ids")
        try await expectNothingPending(client)
        for each in [client, bob] { await each.close() }
    }

    func testOnlySessionsThatAskedSeeStampsOnRoomMessagesAndTheirAcknowledgement() async throws {
        let harness = try await ServerHarness.start(for: self)
        let stamped = try await harness.loginWithIDs("alice")
        let plain = try await harness.login("alice")
        let bobStamped = try await harness.loginWithIDs("bob")
        let bobPlain = try await harness.login("bob")

        try await bobStamped.send("/say #lobby hi all")
        let id = try await expectStamped(bobStamped, "OK say #lobby")
        let seen = try await expectStamped(stamped, "MSG #lobby bob hi all")
        XCTAssertEqual(seen, id, "the sender learns the id everyone sees")
        try await expect(plain, "MSG #lobby bob hi all")
        // The account's other sessions see the message as anyone does.
        try await expect(bobPlain, "MSG #lobby bob hi all")

        try await bobPlain.send("a plain line")
        try await expect(plain, "MSG #lobby bob a plain line")
        let next = try await expectStamped(stamped, "MSG #lobby bob a plain line")
        XCTAssertGreaterThan(next, id)
        try await expectStamped(bobStamped, "MSG #lobby bob a plain line")
        // A session that did not ask hears no acknowledgement, as before.
        try await expectNothingPending(bobPlain)
        for client in [stamped, plain, bobStamped, bobPlain] {
            try await expectNothingPending(client)
            await client.close()
        }
    }

    func testOnlySessionsThatAskedSeeStampsOnDirectMessagesHistoryAndOfflineDelivery() async throws {
        let harness = try await ServerHarness.start(for: self, users: ServerHarness.defaultUsers + [("dave", "dave-pw")])
        let alice = try await harness.loginWithIDs("alice")
        let alicePlain = try await harness.login("alice")
        let bob = try await harness.login("bob")

        try await bob.send("/msg alice hi there")
        try await expect(bob, "OK msg alice")
        let dm = try await expectStamped(alice, "DM bob hi there")
        try await expect(alicePlain, "DM bob hi there")
        try await bob.send("/emsg alice \(sealedPayload)")
        try await expect(bob, "OK emsg alice")
        let edm = try await expectStamped(alice, "EDM bob \(sealedPayload)")
        XCTAssertGreaterThan(edm, dm)
        try await expect(alicePlain, "EDM bob \(sealedPayload)")

        try await alice.send("/msg bob back to you")
        let reply = try await expectStamped(alice, "OK msg bob")
        XCTAssertGreaterThan(reply, edm)
        try await expect(bob, "DM alice back to you")
        try await alicePlain.send("/emsg bob \(sealedPayload)")
        try await expect(alicePlain, "OK emsg bob")
        try await expect(bob, "EDM alice \(sealedPayload)")
        // The account's session that asked for ids sees what its other one sent.
        try await expectStamped(alice, "EDMSENT bob \(sealedPayload)")

        try await bob.send("room line")
        try await expectStamped(alice, "MSG #lobby bob room line")
        try await expect(alicePlain, "MSG #lobby bob room line")
        try await alice.send("/history #lobby 1")
        let history = try await expectStamped(alice, prefix: "HISTORY #lobby ")
        XCTAssertEqual(history?.line.hasSuffix(" bob room line"), true)
        XCTAssertGreaterThan(history?.id ?? 0, reply)
        try await expect(alice, "OK history #lobby 1")
        try await alicePlain.send("/history #lobby 1")
        let plainHistory = try await expect(alicePlain, prefix: "HISTORY #lobby ")
        XCTAssertEqual(plainHistory?.hasSuffix(" bob room line"), true)
        try await expect(alicePlain, "OK history #lobby 1")

        // DMs that waited for the next login: stamped for a client that asked first.
        try await bob.send("/msg carol while you were out")
        try await expect(bob, "OK msg carol")
        try await bob.send("/msg dave while you were out")
        try await expect(bob, "OK msg dave")
        let carol = try await harness.loginWithIDs("carol")
        try await expectStamped(carol, "DM bob while you were out")
        let dave = try await harness.login("dave", "dave-pw")
        try await expect(dave, "DM bob while you were out")
        for client in [alice, alicePlain, bob, carol, dave] {
            try await expectNothingPending(client)
            await client.close()
        }
    }
}
