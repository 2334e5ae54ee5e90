import ChatTestSupport
import Foundation
import XCTest

/// Conversations that last: offline delivery, room history and account-owned
/// membership, over real TLS with a real SQLite file, across restarts of the server.
final class ConversationTests: XCTestCase {
    private let payload = Data((0..<80).map { UInt8(255 - $0) }).base64EncodedString()

    func testDirectMessagesToSomeoneOfflineArriveAtTheNextLoginInOrderAcrossARestart() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        try await alice.send("/msg carol are you there?")
        try await expect(alice, "OK msg carol")
        try await alice.send("/emsg Carol \(payload)")
        try await expect(alice, "OK emsg carol")
        try await alice.send("/msg carol third")
        try await expect(alice, "OK msg carol")
        await alice.close()

        let restarted = try await harness.restarted(for: self)
        let carol = try await restarted.login("carol")
        try await expect(carol, "DM alice are you there?")
        try await expect(carol, "EDM alice \(payload)")
        try await expect(carol, "DM alice third")
        try await expectNothingPending(carol)
        await carol.close()

        // Delivered once: the next login has nothing waiting.
        let again = try await restarted.login("carol")
        try await expectNothingPending(again)
        await again.close()
    }

    /// A login that finds both rooms it belongs to and direct messages that waited:
    /// both come from the login's one read of the store. After a restart only that
    /// read knows of the messages; then again on the server that queued them.
    func testOneLoginFindsBothItsRoomsAndItsWaitingDirectMessages() async throws {
        let harness = try await ServerHarness.start(for: self)
        let carol = try await harness.login("carol")
        try await carol.send("/join #Dev")
        try await expect(carol, "OK join #Dev")
        await carol.close()
        let alice = try await harness.login("alice")
        try await alice.send("/join #Dev")
        try await expect(alice, "OK join #Dev")
        for text in ["are you there?", "hello?"] {
            try await alice.send("/msg carol \(text)")
            try await expect(alice, "OK msg carol")
        }
        await alice.close()

        let restarted = try await harness.restarted(for: self)
        let aliceAgain = try await restarted.login("alice")
        let carolAgain = try await restarted.login("carol")
        try await expect(carolAgain, "DM alice are you there?")
        try await expect(carolAgain, "DM alice hello?")
        // Her login told nobody, and she is in both her rooms.
        try await expectNothingPending(aliceAgain)
        try await aliceAgain.send("/say #dev hello carol")
        try await expect(carolAgain, "MSG #Dev alice hello carol")
        try await aliceAgain.send("/say #lobby hello all")
        try await expect(carolAgain, "MSG #lobby alice hello all")
        try await expectNothingPending(carolAgain)
        await carolAgain.close()

        try await aliceAgain.send("/msg carol back again?")
        try await expect(aliceAgain, "OK msg carol")
        let carolThird = try await restarted.login("carol")
        try await expect(carolThird, "DM alice back again?")
        try await expectNothingPending(carolThird)
        await carolThird.close()
        await aliceAgain.close()
    }

    func testTheOfflineQueueIsBoundedPerRecipient() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.linesPerSecond = 0 }
        let alice = try await harness.login("alice")
        for index in 0..<100 {
            try await alice.send("/msg carol note \(index)")
            try await expect(alice, "OK msg carol")
        }
        try await alice.send("/msg carol one too many")
        try await expect(alice, prefix: "ERR mailbox-full ")
        let carol = try await harness.login("carol")
        for index in 0..<100 {
            try await expect(carol, "DM alice note \(index)")
        }
        try await expectNothingPending(carol)
        // Read, the queue has room again.
        try await alice.send("/msg bob hi")
        try await expect(alice, "OK msg bob")
        await alice.close()
        await carol.close()
    }

    func testHistoryShowsTheLastMessagesOfARoomBeforeAndAfterARestart() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.linesPerSecond = 0 }
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        for index in 1...5 {
            try await alice.send("message \(index)")
            try await expect(bob, "MSG #lobby alice message \(index)")
        }
        try await bob.send("/history #LOBBY 3")
        for index in 3...5 {
            let line = try await bob.nextLine()
            let fields = try XCTUnwrap(line).split(separator: " ", maxSplits: 3).map(String.init)
            XCTAssertEqual(fields.count, 4, line ?? "")
            XCTAssertEqual(fields[0], "HISTORY")
            XCTAssertEqual(fields[1], "#lobby")
            XCTAssertNotNil(fields[2].wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/), fields[2])
            XCTAssertEqual(fields[3], "alice message \(index)")
        }
        try await expect(bob, "OK history #lobby 3")
        await alice.close()
        await bob.close()

        let restarted = try await harness.restarted(for: self)
        let carol = try await restarted.login("carol")
        try await carol.send("/history #lobby")
        var texts: [String] = []
        while let line = try await carol.nextLine(), line.hasPrefix("HISTORY ") {
            texts.append(String(line.split(separator: " ", maxSplits: 3)[3]))
        }
        XCTAssertEqual(texts, (1...5).map { "alice message \($0)" })
        try await carol.send("/history #elsewhere")
        try await expect(carol, prefix: "ERR not-in-room ")
        for bad in ["/history", "/history #lobby 0", "/history #lobby 1001", "/history #lobby lots"] {
            try await carol.send(bad)
            try await expect(carol, prefix: "ERR bad-arguments ")
        }
        await carol.close()
    }

    func testMembershipOutlivesLogoutAndRestartAndLoginsTellNobody() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        try await alice.send("/join #Dev")
        try await expect(alice, "OK join #Dev")
        try await alice.send("/leave #lobby")
        try await expect(alice, "OK leave #lobby")
        await alice.close()

        let restarted = try await harness.restarted(for: self)
        let bob = try await restarted.login("bob")
        try await bob.send("/join #dev")
        try await expect(bob, "OK join #Dev")
        let aliceAgain = try await restarted.login("alice")
        // Her login told nobody, and she is where she was: in #Dev, not in #lobby.
        try await expectNothingPending(bob)
        try await aliceAgain.send("/rooms")
        try await expect(aliceAgain, "ROOMS #Dev #lobby")
        try await aliceAgain.send("back in dev")
        try await expect(bob, "MSG #Dev alice back in dev")
        try await aliceAgain.send("/say #lobby hello?")
        try await expect(aliceAgain, prefix: "ERR not-in-room ")
        // Every session of the account is in every room of it.
        let alicePhone = try await restarted.login("alice")
        try await bob.send("/say #dev to both of alice's devices")
        try await expect(aliceAgain, "MSG #Dev bob to both of alice's devices")
        try await expect(alicePhone, "MSG #Dev bob to both of alice's devices")
        for client in [bob, aliceAgain, alicePhone] { await client.close() }
    }
}
