@testable import ChatClient
import ChatCrypto
import ChatProtocol
import Foundation
import XCTest

/// Catch-up, deduplication and paging back in the session logic, the test playing
/// the server's side of the stamped protocol.
final class CatchUpSessionTests: XCTestCase {
    let server = ServerEndpoint(host: "127.0.0.1", port: 7443)
    static let time = "2026-12-04T21:47:17.123Z"
    static let storedAt = Date(timeIntervalSince1970: 1_796_420_837.123)

    func makeSession(_ me: String, lastSeen: Int64?, identity: BoxKeyPair? = .generate(), pins: PeerKeyPins? = nil) throws -> ClientSession {
        ClientSession(me: me, identity: identity, pins: try pins ?? PeerKeyPins(file: nil, server: server), lastSeen: lastSeen)
    }

    func line(_ text: String) -> ServerEvent {
        guard let event = ServerEvent.parse(text) else {
            XCTFail("\(text) is not a server line")
            return .info("")
        }
        return event
    }

    func stamped(_ id: Int64, _ text: String) -> ServerEvent {
        line("@id=\(id);time=\(Self.time) \(text)")
    }

    func stored(_ text: String) -> Notice {
        .stored(.server(line(text)), storedAt: Self.storedAt)
    }

    /// Starts the catch-up and passes its barrier; returns what was sent.
    func startCatchUp(_ session: ClientSession, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        let lines = sent(session.loggedIn(stamps: true))
        guard let ping = lines.first(where: { $0.hasPrefix("/ping ") }) else {
            XCTFail("no barrier in \(lines)", file: file, line: line)
            return lines
        }
        XCTAssertEqual(session.serverEvent(.pong(String(ping.dropFirst(6)))), [], file: file, line: line)
        return lines
    }

    func testCaughtUpEventsAreShownOnceInIdOrderUnderTheirOwnHeading() throws {
        let alice = try makeSession("alice", lastSeen: 10)
        XCTAssertEqual(startCatchUp(alice).last, "/catchup 10 1000")
        XCTAssertFalse(alice.isIdle)
        var outputs: [ClientSession.Output] = []
        // A live line overtakes the page, and an offline DM comes twice.
        outputs += alice.serverEvent(stamped(14, "MSG #lobby bob live one"))
        outputs += alice.serverEvent(stamped(12, "DM bob while you were out"))
        outputs += alice.serverEvent(stamped(11, "MSG #dev bob first"))
        outputs += alice.serverEvent(stamped(12, "DM bob while you were out"))
        outputs += alice.serverEvent(stamped(13, "MSG #lobby carol second"))
        XCTAssertEqual(outputs, [], "held until the page is complete")
        outputs = alice.serverEvent(line("OK catchup 3"))
        XCTAssertEqual(
            shown(outputs),
            [
                .divider("while you were away"),
                stored("MSG #dev bob first"),
                stored("DM bob while you were out"),
                stored("MSG #lobby carol second"),
                stored("MSG #lobby bob live one"),
                .divider("caught up: 4 messages"),
            ])
        XCTAssertEqual(alice.seen.lastSeen, 14)
        XCTAssertTrue(alice.isIdle)
        // Live from now on: shown at once, once.
        XCTAssertEqual(shown(alice.serverEvent(stamped(15, "MSG #lobby bob now"))), [.server(line("MSG #lobby bob now"))])
        XCTAssertEqual(alice.serverEvent(stamped(15, "MSG #lobby bob now")), [])
        XCTAssertEqual(alice.seen.lastSeen, 15)
    }

    func testPagesAreFollowedWithTheLastIdAndNothingMissedShowsNothing() throws {
        let alice = try makeSession("alice", lastSeen: 100)
        _ = startCatchUp(alice)
        _ = alice.serverEvent(stamped(101, "MSG #lobby bob a"))
        _ = alice.serverEvent(stamped(102, "MSG #lobby bob b"))
        let next = alice.serverEvent(line("OK catchup 2 more"))
        XCTAssertEqual(shown(next), [.divider("while you were away"), stored("MSG #lobby bob a"), stored("MSG #lobby bob b")])
        XCTAssertEqual(sent(next).last, "/catchup 102 1000")
        XCTAssertEqual(alice.seen.lastSeen, 102)
        XCTAssertEqual(alice.serverEvent(.pong(String(sent(next)[0].dropFirst(6)))), [])
        XCTAssertEqual(shown(alice.serverEvent(line("OK catchup 0"))), [.divider("caught up: 2 messages")])

        let quiet = try makeSession("alice", lastSeen: 100)
        _ = startCatchUp(quiet)
        XCTAssertEqual(quiet.serverEvent(line("OK catchup 0")), [], "no heading when nothing was missed")
        XCTAssertTrue(quiet.isIdle)
    }

    func testARefusedCatchUpSaysSoAndKeepsTheLastSeenId() throws {
        let alice = try makeSession("alice", lastSeen: 5)
        _ = alice.userLine("text before the catch-up")
        _ = startCatchUp(alice)
        let refused = shown(alice.serverEvent(line("ERR unknown-command not available yet")))
        guard case .warning(let text)? = refused.first, text.hasPrefix("could not fetch what was said while you were away") else {
            return XCTFail("\(refused)")
        }
        _ = alice.serverEvent(stamped(9, "MSG #lobby bob live"))
        XCTAssertEqual(alice.seen.lastSeen, 5)
        XCTAssertTrue(alice.isIdle)
    }

    func testAFirstLoginOnADeviceFetchesEverythingKept() throws {
        let alice = try makeSession("alice", lastSeen: nil)
        XCTAssertEqual(startCatchUp(alice).last, "/catchup 0 1000")
        _ = alice.serverEvent(stamped(3, "MSG #lobby bob hello"))
        XCTAssertEqual(shown(alice.serverEvent(line("OK catchup 1"))).first, .divider("earlier messages"))
        XCTAssertEqual(alice.seen.lastSeen, 3)
    }

    func testOwnMessagesAcknowledgedWithStampsCountAsSeen() throws {
        let alice = try makeSession("alice", lastSeen: 1)
        _ = startCatchUp(alice)
        _ = alice.serverEvent(line("OK catchup 0"))
        XCTAssertEqual(alice.serverEvent(stamped(2, "OK say #lobby")), [], "echoed when typed")
        XCTAssertEqual(shown(alice.serverEvent(stamped(3, "OK msg bob"))), [.server(line("OK msg bob"))])
        XCTAssertEqual(alice.seen.lastSeen, 3)
        XCTAssertEqual(alice.serverEvent(stamped(2, "MSG #lobby alice mine, from the catch-up")), [])
        // /history's lines are old by definition: shown whatever their id.
        let history = "HISTORY #lobby \(Self.time) bob old"
        XCTAssertEqual(shown(alice.serverEvent(stamped(1, history))), [.server(line(history))])
    }

    func testEndToEndDMsStoredWhileAwayOpenBothWays() throws {
        let aliceKeys = BoxKeyPair.generate()
        let bobKeys = BoxKeyPair.generate()
        let pins = try PeerKeyPins(file: nil, server: server)
        try pins.set(bobKeys.publicKey, for: "bob")
        let alice = try makeSession("alice", lastSeen: 1, identity: aliceKeys, pins: pins)
        _ = startCatchUp(alice)
        let sealedAt = Self.storedAt.addingTimeInterval(-2)
        func seal(_ text: String, from: String, to: String, key: BoxPublicKey, with pair: BoxKeyPair) -> String {
            let envelope = EncryptedEnvelope(sender: from, recipient: to, sentAt: sealedAt, text: text)
            return Data(DirectMessageBox.seal(envelope.encoded, to: key, from: pair)).base64EncodedString()
        }
        // From bob, stored while alice was away; and one alice sent from another device.
        _ = alice.serverEvent(stamped(2, "EDM bob \(seal("to you", from: "bob", to: "alice", key: aliceKeys.publicKey, with: bobKeys))"))
        _ = alice.serverEvent(stamped(3, "EDMSENT bob \(seal("from me", from: "alice", to: "bob", key: bobKeys.publicKey, with: aliceKeys))"))
        _ = alice.serverEvent(stamped(4, "DMSENT bob plain from me"))
        let notices = shown(alice.serverEvent(line("OK catchup 3")))
        XCTAssertEqual(
            notices,
            [
                .divider("while you were away"),
                .stored(.encryptedDirect(sender: "bob", text: "to you", sentAt: sealedAt, stale: false), storedAt: Self.storedAt),
                .stored(.encryptedDirectSent(recipient: "bob", text: "from me"), storedAt: Self.storedAt),
                stored("DMSENT bob plain from me"),
                .divider("caught up: 3 messages"),
            ])
        XCTAssertEqual(ScriptRenderer.render(notices[2]), ["EDMSENT bob from me"])
        XCTAssertEqual(ScriptRenderer.render(notices[1]), ["EDM bob to you"])
        XCTAssertEqual(ScriptRenderer.render(notices[0]), [])
    }

    func testBackAsksForThePageBeforeTheOldestShown() throws {
        let alice = try makeSession("alice", lastSeen: 40)
        _ = startCatchUp(alice)
        _ = alice.serverEvent(stamped(41, "MSG #lobby bob a"))
        _ = alice.serverEvent(line("OK catchup 1"))
        let back = alice.userLine("/back")
        XCTAssertEqual(sent(back).last, "/chathistory before #lobby 41 50")
        XCTAssertEqual(shown(back), [.divider("earlier in #lobby")])
        XCTAssertEqual(alice.serverEvent(.pong(String(sent(back)[0].dropFirst(6)))), [])
        XCTAssertEqual(
            shown(alice.serverEvent(stamped(30, "MSG #lobby bob older"))),
            [.stored(.server(line("MSG #lobby bob older")), storedAt: Self.storedAt)])
        // A live line meanwhile is not history.
        XCTAssertEqual(shown(alice.serverEvent(stamped(42, "MSG #lobby carol live"))), [.server(line("MSG #lobby carol live"))])
        XCTAssertEqual(
            shown(alice.serverEvent(line("OK chathistory #lobby 1 more"))),
            [.server(line("OK chathistory #lobby 1 more")), .divider("1 shown; /back #lobby for more")])
        XCTAssertEqual(alice.seen.lastSeen, 42)
        XCTAssertEqual(shown(alice.userLine("/back #lobby 0")), [.warning("usage: \(ClientSession.backUsage)")])
        let further = alice.userLine("/back #lobby 20")
        XCTAssertEqual(sent(further).last, "/chathistory before #lobby 30 20")
        // What is typed meanwhile waits for the page, so a second /back goes on from its end.
        XCTAssertEqual(alice.userLine("/back bob"), [])
        XCTAssertEqual(alice.serverEvent(.pong(String(sent(further)[0].dropFirst(6)))), [])
        XCTAssertEqual(sent(alice.serverEvent(line("OK chathistory #lobby 0"))).last, "/chathistory latest bob 50")
        XCTAssertEqual(sent(try makeSession("alice", lastSeen: 1).userLine("/back bob")), [], "no stamps: nothing to page")
    }

    func testAfterAReconnectTheCurrentRoomIsJoinedAgainQuietlyAndTheCatchUpResumes() throws {
        let alice = try makeSession("alice", lastSeen: 7, identity: nil)
        _ = startCatchUp(alice)
        _ = alice.serverEvent(line("OK catchup 0"))
        _ = alice.serverEvent(line("OK join #dev"))
        XCTAssertEqual(alice.currentRoom, "#dev")
        _ = alice.serverEvent(stamped(8, "MSG #dev bob before the drop"))
        let unsent = alice.userLine("/fingerprint bob")
        XCTAssertFalse(sent(unsent).isEmpty)
        XCTAssertEqual(shown(alice.connectionLost()), [.note("/fingerprint bob got no answer before the connection dropped")])
        let again = sent(alice.reconnected(stamps: true))
        XCTAssertEqual(again.first, "/join #dev")
        XCTAssertEqual(again.last, "/catchup 8 1000")
        XCTAssertEqual(alice.serverEvent(line("OK join #dev")), [], "the client's own re-join is not news")
        XCTAssertEqual(alice.serverEvent(.pong(String(again[1].dropFirst(6)))), [])
        XCTAssertEqual(alice.serverEvent(stamped(8, "MSG #dev bob before the drop")), [])
        XCTAssertEqual(shown(alice.serverEvent(line("OK catchup 1"))), [])
        XCTAssertEqual(shown(alice.serverEvent(line("OK join #dev"))), [.server(line("OK join #dev"))])
    }
}
