@testable import ChatClient
import ChatCrypto
import ChatProtocol
import Foundation
import XCTest

final class RenderingTests: XCTestCase {
    let plain = TerminalRenderer(colors: false)

    func testRoomMessagesAndDMsReadLikeAChat() {
        XCTAssertEqual(plain.render(.server(.message(room: "#lobby", sender: "alice", text: "hi"))), ["[#lobby] alice: hi"])
        XCTAssertEqual(plain.render(.ownRoomMessage(room: "#rust", sender: "bob", text: "yo")), ["[#rust] bob: yo"])
        XCTAssertEqual(plain.render(.server(.direct(sender: "bob", text: "psst"))), ["[DM, server-readable] bob: psst"])
        XCTAssertEqual(plain.render(.encryptedDirect(sender: "bob", text: "sealed", sentAt: Date(), stale: false)), ["[e2e DM] bob: sealed"])
        XCTAssertEqual(plain.render(.ownDirect(recipient: "bob", text: "x", encrypted: true)), ["[e2e DM → bob] you: x"])
        XCTAssertEqual(plain.render(.ownDirect(recipient: "bob", text: "x", encrypted: false)), ["[DM → bob, server-readable] you: x"])
        XCTAssertEqual(plain.render(.server(.joined(room: "#lobby", user: "carol"))), ["* carol joined #lobby"])
        XCTAssertEqual(plain.render(.server(.error(.notInRoom, "join a room first"))), ["! not-in-room: join a room first"])
        XCTAssertEqual(plain.render(.server(.ok(command: "emsg", details: "bob"))), [], "a sent DM is echoed when sent")
        XCTAssertEqual(plain.render(.server(.ping("x"))), [])
    }

    func testMessagesAreStampedWithTheLocalTimeWhenAsked() {
        let fivepast9 = Calendar.current.date(bySettingHour: 9, minute: 5, second: 59, of: Date())!
        let stamped = TerminalRenderer(colors: false, timestamps: true, now: { fivepast9 })
        XCTAssertEqual(stamped.render(.server(.message(room: "#lobby", sender: "alice", text: "hi"))), ["09:05 [#lobby] alice: hi"])
        XCTAssertEqual(stamped.render(.ownRoomMessage(room: "#rust", sender: "bob", text: "yo")), ["09:05 [#rust] bob: yo"])
        XCTAssertEqual(stamped.render(.server(.direct(sender: "bob", text: "psst"))), ["09:05 [DM, server-readable] bob: psst"])
        XCTAssertEqual(stamped.render(.encryptedDirect(sender: "bob", text: "s", sentAt: Date(), stale: false)), ["09:05 [e2e DM] bob: s"])
        XCTAssertEqual(stamped.render(.ownDirect(recipient: "bob", text: "x", encrypted: true)), ["09:05 [e2e DM → bob] you: x"])
        // Only messages: the rest is not part of the conversation.
        XCTAssertEqual(stamped.render(.server(.joined(room: "#lobby", user: "carol"))), ["* carol joined #lobby"])
        XCTAssertEqual(stamped.render(.warning("w")), ["!! w"])
    }

    func testStoredEventsShowWhenTheyWereStoredAndScriptsSeeThemAsLive() {
        let fivepast9 = Calendar.current.date(bySettingHour: 9, minute: 5, second: 59, of: Date())!
        let stamped = TerminalRenderer(colors: false, timestamps: true, now: { fivepast9 })
        let earlierToday = Calendar.current.date(bySettingHour: 7, minute: 30, second: 0, of: fivepast9)!
        let message = Notice.server(.message(room: "#lobby", sender: "alice", text: "hi"))
        XCTAssertEqual(stamped.render(.stored(message, storedAt: earlierToday)), ["07:30 [#lobby] alice: hi"])
        let lastYear = Calendar.current.date(byAdding: .year, value: -1, to: earlierToday)!
        let day = DateFormatter()
        day.dateFormat = "yyyy-MM-dd"
        XCTAssertEqual(stamped.render(.stored(message, storedAt: lastYear)), ["\(day.string(from: lastYear)) 07:30 [#lobby] alice: hi"])
        XCTAssertEqual(
            stamped.render(.stored(.encryptedDirectSent(recipient: "bob", text: "x"), storedAt: earlierToday)), ["07:30 [e2e DM → bob] you: x"])
        XCTAssertEqual(stamped.render(.divider("while you were away")), ["── while you were away ──"])
        XCTAssertEqual(ScriptRenderer.render(.stored(message, storedAt: lastYear)), ["MSG #lobby alice hi"])
        XCTAssertEqual(ScriptRenderer.render(.divider("while you were away")), [])
        XCTAssertEqual(stamped.render(.server(.ok(command: "say", details: "#lobby"))), [], "an own message's stamp is no news")
    }

    func testAnActionReadsAsOne() {
        XCTAssertEqual(plain.render(.server(.message(room: "#lobby", sender: "alice", text: "/me waves"))), ["[#lobby] * alice waves"])
        XCTAssertEqual(plain.render(.ownRoomMessage(room: "#lobby", sender: "bob", text: "/me nods")), ["[#lobby] * bob nods"])
        XCTAssertEqual(plain.render(.server(.message(room: "#lobby", sender: "alice", text: "/meh"))), ["[#lobby] alice: /meh"])
        XCTAssertEqual(ScriptRenderer.render(.server(.message(room: "#lobby", sender: "alice", text: "/me waves"))), ["MSG #lobby alice /me waves"])
    }

    func testHelpHasHeadingsAndNoCommandsMeantForPrograms() {
        let help = ClientHelp.lines.joined(separator: "\n")
        for heading in ["Talking", "Rooms", "Direct messages", "Keys", "Account and leaving"] {
            XCTAssertTrue(ClientHelp.lines.contains(heading), heading)
        }
        for word in ["/login", "/key ", "/emsg", "/pong"] {
            XCTAssertFalse(help.contains(word), word)
        }
        XCTAssertTrue(help.contains("/msg <user> <text>           end-to-end"))
    }

    func testTheBellIsForDMsAndMentionsOfYourName() {
        XCTAssertTrue(Notice.server(.direct(sender: "bob", text: "x")).asksForAttention(of: "alice"))
        XCTAssertTrue(Notice.encryptedDirect(sender: "bob", text: "x", sentAt: Date(), stale: false).asksForAttention(of: "alice"))
        for text in ["alice: lunch?", "hey @Alice", "ask alice.", "j.doe and alice-"] {
            XCTAssertTrue(Notice.server(.message(room: "#a", sender: "bob", text: text)).asksForAttention(of: "alice"), text)
        }
        XCTAssertTrue(Notice.server(.message(room: "#a", sender: "bob", text: "hi j.doe")).asksForAttention(of: "j.doe"))
        for text in ["malice", "alice_b is here", "nothing"] {
            XCTAssertFalse(Notice.server(.message(room: "#a", sender: "bob", text: text)).asksForAttention(of: "alice"), text)
        }
        XCTAssertFalse(Notice.server(.message(room: "#a", sender: "alice", text: "I am alice")).asksForAttention(of: "alice"))
        XCTAssertFalse(Notice.ownDirect(recipient: "bob", text: "alice", encrypted: true).asksForAttention(of: "alice"))
    }

    func testAListingWithMoreSaysHowToAskForTheRest() {
        XCTAssertEqual(plain.render(.server(.rooms(["#a", "#b"], more: true))), ["* rooms: #a #b … more: /rooms #b"])
        XCTAssertEqual(plain.render(.server(.rooms(["#a", "#b"]))), ["* rooms: #a #b"])
        XCTAssertEqual(plain.render(.server(.users(room: "#a", ["alice", "bob"], more: true))), ["* in #a: alice bob … more: /who #a bob"])
        XCTAssertEqual(plain.render(.server(.users(room: "#a", ["alice"]))), ["* in #a: alice"])
    }

    func testStaleAndRejectedAndChangedKeysStandOut() {
        let stale = plain.render(.encryptedDirect(sender: "bob", text: "old", sentAt: Date(timeIntervalSince1970: 0), stale: true))
        XCTAssertTrue(stale[0].hasPrefix("[e2e DM] bob: old (sealed 19"), stale[0])
        XCTAssertTrue(stale[0].contains("possibly replayed"))
        XCTAssertEqual(
            plain.render(.rejectedDirect(sender: "eve", reason: "it is truncated")), ["!! end-to-end DM from eve rejected, not shown: it is truncated"])
        let changed = plain.render(.keyChanged(user: "bob", pinned: "AAAA", offered: "BBBB"))
        XCTAssertEqual(changed.count, 4)
        XCTAssertTrue(changed[0].contains("CHANGED"))
        XCTAssertTrue(changed[3].contains("/trust bob <fingerprint>"), changed[3])
    }

    func testColoursOnlyWhenWanted() {
        let coloured = TerminalRenderer(colors: true)
        XCTAssertEqual(coloured.render(.server(.message(room: "#a", sender: "b", text: "c"))), ["\u{1B}[36m[#a]\u{1B}[0m \u{1B}[1mb\u{1B}[0m: c"])
        XCTAssertFalse(plain.render(.warning("x")).joined().contains("\u{1B}"))
        XCTAssertTrue(TerminalRenderer.wantsColors(stdoutIsTerminal: true, environment: ["TERM": "xterm"]))
        XCTAssertTrue(TerminalRenderer.wantsColors(stdoutIsTerminal: true, environment: ["NO_COLOR": ""]))
        XCTAssertFalse(TerminalRenderer.wantsColors(stdoutIsTerminal: true, environment: ["NO_COLOR": "1"]))
        XCTAssertFalse(TerminalRenderer.wantsColors(stdoutIsTerminal: false, environment: [:]))
        XCTAssertFalse(TerminalRenderer.wantsColors(stdoutIsTerminal: true, environment: ["TERM": "dumb"]))
    }

    func testTextFromTheNetworkCannotDriveTheTerminal() {
        // An escape sequence sealed end to end never passed the server's filter.
        let hostile = "hi\u{1B}]0;pwned\u{07}\u{1B}[2J\r\nMSG #lobby root fake\u{9B}31m\u{202E}gnp.exe"
        for line in plain.render(.encryptedDirect(sender: "eve", text: hostile, sentAt: Date(), stale: false))
            + TerminalRenderer(colors: true).render(.server(.message(room: "#a", sender: "e\u{1B}ve", text: hostile)))
            + ScriptRenderer.render(.encryptedDirect(sender: "eve", text: hostile, sentAt: Date(), stale: false))
        {
            let withoutOurColours = line.replacingOccurrences(of: #"\u{1B}\[[0-9;]*m"#, with: "", options: .regularExpression)
            XCTAssertFalse(withoutOurColours.unicodeScalars.contains { TerminalSafeText.isUnsafe($0) }, line.debugDescription)
        }
        XCTAssertEqual(TerminalSafeText.sanitize("a\tb\u{7F}c"), "a\u{FFFD}b\u{FFFD}c")
        XCTAssertEqual(TerminalSafeText.sanitize("grüße 👋 日本"), "grüße 👋 日本")
    }

    func testScriptModePrintsServerLinesAsTheyCame() throws {
        let lines = [
            "OK join #rust", "OK key", "ROOMS", "ROOMS #a #b +", "USERS #a alice +", "USERS #a", "PONG", "PONG tok",
            "MSG #a b c  d ", "ERR busy try later", "ERR slow-down wait", "EDM bob QUJD", "HELLO securechat ",
        ]
        for line in lines {
            XCTAssertEqual(ScriptRenderer.render(.server(try XCTUnwrap(ServerEvent.parse(line), line))), [line])
        }
        XCTAssertEqual(ScriptRenderer.render(.unrecognizedServerLine("NEWS x  y")), ["NEWS x  y"])
    }

    func testALineThatIsNotTheProtocolsIsShownAsItCame() {
        XCTAssertEqual(plain.render(.unrecognizedServerLine("NEWS from\u{202E} the future")), ["NEWS from\u{FFFD} the future"])
        XCTAssertEqual(plain.render(.server(.error(.unknown("slow-down"), "wait"))), ["! slow-down: wait"])
    }

    func testScriptModePrintsOneLinePerEvent() {
        XCTAssertEqual(ScriptRenderer.render(.server(.message(room: "#lobby", sender: "a", text: "b"))), ["MSG #lobby a b"])
        XCTAssertEqual(ScriptRenderer.render(.encryptedDirect(sender: "bob", text: "hi", sentAt: Date(), stale: false)), ["EDM bob hi"])
        XCTAssertEqual(
            ScriptRenderer.render(.encryptedDirect(sender: "bob", text: "line1\nline2", sentAt: Date(), stale: false)), ["EDM bob line1\u{FFFD}line2"])
        XCTAssertEqual(ScriptRenderer.render(.ownRoomMessage(room: "#a", sender: "me", text: "x")), [])
        XCTAssertEqual(ScriptRenderer.render(.rejectedDirect(sender: "eve", reason: "it is truncated")), ["WARNING edm-rejected eve it is truncated"])
        XCTAssertEqual(ScriptRenderer.render(.keyPinned(user: "bob", fingerprint: "AAAA BBBB")), ["NOTICE key-pinned bob AAAA BBBB"])
        XCTAssertEqual(ScriptRenderer.render(.encryptedDirect(sender: "bob", text: "x", sentAt: Date(timeIntervalSince1970: 0), stale: true)).count, 2)
    }
}
