import ChatModel
import ChatProtocol
import Foundation
import NIOCore
import XCTest

final class ServerEventParsingTests: XCTestCase {
    /// The event's wire form without its CRLF.
    private func line(_ event: ServerEvent) -> String {
        let bytes = Array(event.rendered().readableBytesView)
        XCTAssertEqual(bytes.suffix(2), [13, 10])
        return String(decoding: bytes.dropLast(2), as: UTF8.self)
    }

    private func assertParses(
        _ line: String,
        as expected: ServerEvent,
        file: StaticString = #filePath,
        line testLine: UInt = #line
    ) {
        XCTAssertEqual(ServerEvent.parse(line), expected, line.debugDescription, file: file, line: testLine)
        XCTAssertEqual(self.line(expected), line, "\(expected) does not render back", file: file, line: testLine)
    }

    // MARK: - Rendering then parsing

    /// Every kind of event, with fields rendering leaves as they are (no control
    /// characters, no blanks in single words, nothing empty that is optional).
    static let everyKind: [ServerEvent] = [
        .hello(server: "securechat", text: "welcome; log in with /login <name> <password>"),
        .hello(server: "s", text: ""),
        .ok(command: "login", details: "alice"),
        .ok(command: "key", details: nil),
        .ok(command: "future", details: " spaced  details\t"),
        .error(.authFailed, "invalid name or password"),
        .error(.unknown("future-code"), ""),
        .message(room: "#Rust", sender: "alice", text: "hi  all\t! ✓"),
        .message(room: "#lobby", sender: "bob", text: ""),
        .direct(sender: "bob", text: " see you "),
        .joined(room: "#lobby", user: "carol"),
        .left(room: "#Rust", user: "carol"),
        .rooms([]),
        .rooms(["#lobby", "#Rust"]),
        .rooms(["#a", "#b"], more: true),
        .rooms(["+", "#a"]),
        .users(room: "#empty", []),
        .users(room: "#lobby", ["alice", "bob"]),
        .users(room: "#lobby", ["alice"], more: true),
        .pong(nil),
        .pong("tok en"),
        .ping("19157yz37"),
        .info(""),
        .info("/help - show this help"),
        .bye("goodbye"),
        .key(user: "alice", key: "UU0PBsK65RhlsdE4HSLL8FmPFZkqidi69W+YyeFJPic="),
        .encryptedDirect(sender: "alice", payload: "QUJD"),
        .topic(room: "#Rust", text: "release on  Friday\t✓"),
        .topic(room: "#Rust", text: nil),
        .invited(room: "#secret", by: "alice"),
        .kicked(room: "#secret", user: "bob", by: "alice"),
        .dropped(room: "#secret", by: "alice"),
        .directSent(recipient: "bob", text: " lunch  at\tnoon? "),
        .directSent(recipient: "bob", text: ""),
        .encryptedDirectSent(recipient: "bob", payload: "M901JjUJk8k3"),
        .stamped(EventStamp(id: 7, time: EventTime(millisecondsSince1970: 0)), .directSent(recipient: "bob", text: "hi")),
        .stamped(EventStamp(id: 8, time: EventTime(millisecondsSince1970: 1)), .encryptedDirectSent(recipient: "bob", payload: "QUJD")),
        // Empty single words are written as nothing between two separators, which
        // still splits back into the same fields.
        .joined(room: "", user: ""),
        .ping(""),
        .ok(command: "", details: nil),
        .rooms([""]),
    ]

    func testEveryEventParsesBackFromItsRendering() {
        for event in Self.everyKind {
            XCTAssertEqual(ServerEvent.parse(self.line(event)), event, "\(event)")
        }
    }

    func testEveryKnownErrorCodeParsesAsItsCase() {
        for code in ErrorCode.known {
            guard case .error(let parsed, "x")? = ServerEvent.parse("ERR \(code.rawValue) x") else {
                return XCTFail("ERR \(code.rawValue) x did not parse")
            }
            // `==` compares wire forms; a switch must see the case itself.
            if case .unknown = parsed {
                XCTFail("\(code) parsed as unknown")
            }
            XCTAssertEqual(parsed, code)
        }
        XCTAssertEqual(Set(ErrorCode.known.map(\.rawValue)).count, ErrorCode.known.count)
    }

    func testACodeFromANewerServerStillParses() {
        self.assertParses("ERR slow-down please wait", as: .error(.unknown("slow-down"), "please wait"))
        XCTAssertEqual(ErrorCode(rawValue: "slow-down"), .unknown("slow-down"))
        XCTAssertEqual(ErrorCode(rawValue: "no-key"), .noKey)
        guard case .noKey = ErrorCode(rawValue: "no-key") else {
            return XCTFail("a known code read as unknown")
        }
    }

    func testRenderingNeutralisesWhatCannotSurviveAndParsingReadsTheResult() {
        let hostile = ServerEvent.message(room: "#a b", sender: "e\u{1B}ve", text: "hi\r\nBYE x\tok")
        XCTAssertEqual(
            ServerEvent.parse(self.line(hostile)),
            .message(room: "#a\u{FFFD}b", sender: "e\u{FFFD}ve", text: "hi\u{FFFD}\u{FFFD}BYE x\tok")
        )
        XCTAssertEqual(ServerEvent.parse(self.line(.ok(command: "join", details: ""))), .ok(command: "join", details: nil))
        XCTAssertEqual(ServerEvent.parse(self.line(.pong(""))), .pong(nil))
    }

    // MARK: - Lines from PROTOCOL.md

    func testTheTranscriptsLines() {
        self.assertParses(
            "HELLO securechat welcome; log in with /login <name> <password>",
            as: .hello(server: "securechat", text: "welcome; log in with /login <name> <password>")
        )
        self.assertParses("PONG", as: .pong(nil))
        self.assertParses("PONG 1700000000", as: .pong("1700000000"))
        self.assertParses(
            "ERR login-required log in first: /login <name> <password>",
            as: .error(.loginRequired, "log in first: /login <name> <password>")
        )
        self.assertParses("ERR auth-failed invalid name or password", as: .error(.authFailed, "invalid name or password"))
        self.assertParses("OK login alice", as: .ok(command: "login", details: "alice"))
        self.assertParses("MSG #lobby bob hi alice!", as: .message(room: "#lobby", sender: "bob", text: "hi alice!"))
        self.assertParses("DM bob see you in #rust", as: .direct(sender: "bob", text: "see you in #rust"))
        self.assertParses("USERS #lobby alice bob", as: .users(room: "#lobby", ["alice", "bob"]))
        self.assertParses("OK join #rust", as: .ok(command: "join", details: "#rust"))
        self.assertParses("ROOMS #lobby #rust", as: .rooms(["#lobby", "#rust"]))
        self.assertParses("ROOMS #ada #admins #ai … #go +", as: .rooms(["#ada", "#admins", "#ai", "…", "#go"], more: true))
        self.assertParses(
            "ERR bad-room-name room names are # and 1-32 of A-Z a-z 0-9 _ -",
            as: .error(.badRoomName, "room names are # and 1-32 of A-Z a-z 0-9 _ -")
        )
        self.assertParses("ERR no-such-user no such user", as: .error(.noSuchUser, "no such user"))
        self.assertParses("LEAVE #rust bob", as: .left(room: "#rust", user: "bob"))
        self.assertParses("BYE bye!", as: .bye("bye!"))
        self.assertParses("JOIN #lobby alice", as: .joined(room: "#lobby", user: "alice"))
        self.assertParses("OK msg alice", as: .ok(command: "msg", details: "alice"))
        self.assertParses("OK key", as: .ok(command: "key", details: nil))
        self.assertParses("PING 19157yz37", as: .ping("19157yz37"))
        self.assertParses(
            "KEY alice UU0PBsK65RhlsdE4HSLL8FmPFZkqidi69W+YyeFJPic=",
            as: .key(user: "alice", key: "UU0PBsK65RhlsdE4HSLL8FmPFZkqidi69W+YyeFJPic=")
        )
        self.assertParses("ERR no-key bob has published no key", as: .error(.noKey, "bob has published no key"))
        self.assertParses("EDM alice M901JjUJk8k3", as: .encryptedDirect(sender: "alice", payload: "M901JjUJk8k3"))
        self.assertParses("INFO /help - show this help", as: .info("/help - show this help"))
        self.assertParses("DMSENT bob see you in #rust", as: .directSent(recipient: "bob", text: "see you in #rust"))
        self.assertParses("EDMSENT bob M901JjUJk8k3", as: .encryptedDirectSent(recipient: "bob", payload: "M901JjUJk8k3"))
        self.assertParses(
            "@id=42;time=2026-12-04T21:47:17.123Z DMSENT bob hi",
            as: .stamped(EventStamp(id: 42, time: EventTime("2026-12-04T21:47:17.123Z")!), .directSent(recipient: "bob", text: "hi")))
        self.assertParses("OK cap ls ids", as: .ok(command: "cap", details: "ls ids"))
        self.assertParses("OK chathistory #rust 2 more", as: .ok(command: "chathistory", details: "#rust 2 more"))
        self.assertParses("OK catchup 0", as: .ok(command: "catchup", details: "0"))
    }

    func testPrivateRoomLines() {
        self.assertParses("TOPIC #plans release on Friday", as: .topic(room: "#plans", text: "release on Friday"))
        self.assertParses("TOPIC #plans", as: .topic(room: "#plans", text: nil))
        self.assertParses("INVITE #plans alice", as: .invited(room: "#plans", by: "alice"))
        self.assertParses("KICK #plans bob alice", as: .kicked(room: "#plans", user: "bob", by: "alice"))
        self.assertParses("DROP #plans alice", as: .dropped(room: "#plans", by: "alice"))
        self.assertParses("OK private #plans", as: .ok(command: "private", details: "#plans"))
        self.assertParses("OK invite bob #plans", as: .ok(command: "invite", details: "bob #plans"))
        self.assertParses("ERR not-owner only the room's owner can do that", as: .error(.notOwner, "only the room's owner can do that"))
        self.assertParses(
            "ERR not-invited #plans is private; its owner must /invite you",
            as: .error(.notInvited, "#plans is private; its owner must /invite you"))
    }

    /// Every `S:` line in PROTOCOL.md's examples is a line this grammar reads, and
    /// renders back unchanged.
    func testEveryServerLineInProtocolMD() throws {
        let protocolMD = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PROTOCOL.md")
        let serverLines = try String(contentsOf: protocolMD, encoding: .utf8)
            .split(separator: "\n")
            .filter { $0.hasPrefix("S: ") }
            .map { String($0.dropFirst(3)) }
        XCTAssertGreaterThan(serverLines.count, 25)
        for line in serverLines {
            guard let event = ServerEvent.parse(line) else {
                XCTFail("\(line) did not parse")
                continue
            }
            XCTAssertEqual(self.line(event), line)
        }
    }

    // MARK: - What is not a server line

    func testMalformedOrUnknownLinesAreNil() {
        let lines = [
            "", " ", "NOPE x", "hello", "ok join", "OK", "ERR", "ERR busy", "HELLO", "HELLO securechat", "INFO", "BYE",
            "PING", "MSG #lobby", "MSG #lobby bob", "DM bob", "EDM bob", "EDM bob a b", "JOIN #x", "JOIN #x a b",
            "LEAVE #x", "KEY bob", "KEY bob a b", "USERS", " ROOMS",
            "TOPIC", "INVITE #x", "INVITE #x a b", "KICK #x bob", "KICK #x bob alice x", "DROP #x", "DROP #x a b",
            // A topic line without text has no separator either.
            "TOPIC #x ",
            "DMSENT bob", "DMSENT", "EDMSENT bob", "EDMSENT bob a b", "dmsent bob hi", "@id=1;time=2026-12-04T21:47:17.123Z",
            // Rendering leaves an empty optional field out, separator and all.
            "PONG ", "OK join ",
            // A listing that is only the marker has no name to go on from.
            "ROOMS +", "USERS #a +",
            // Control characters never leave the renderer; TAB only in free text.
            "MSG #a bob hi\u{1B}[2J", "INFO a\rb", "BYE \u{85}", "JOIN #a\tb c", "ROOMS #a\t#b", "PING a\u{0}",
        ]
        for line in lines {
            XCTAssertNil(ServerEvent.parse(line), line.debugDescription)
        }
    }

    func testAListingEndsInTheMarkerOnlyWhenMoreFollow() {
        self.assertParses("ROOMS #a #b +", as: .rooms(["#a", "#b"], more: true))
        self.assertParses("ROOMS #a #b", as: .rooms(["#a", "#b"], more: false))
        self.assertParses("USERS #a alice bob +", as: .users(room: "#a", ["alice", "bob"], more: true))
        self.assertParses("USERS #a +x", as: .users(room: "#a", ["+x"], more: false))
        // The marker anywhere but last is an odd name, not the marker.
        self.assertParses("ROOMS + #a", as: .rooms(["+", "#a"]))
    }

    func testFreeTextKeepsSpacesAndTABs() {
        self.assertParses("MSG #lobby bob hi  there ", as: .message(room: "#lobby", sender: "bob", text: "hi  there "))
        self.assertParses("MSG #lobby bob ", as: .message(room: "#lobby", sender: "bob", text: ""))
        self.assertParses("PONG a b", as: .pong("a b"))
        self.assertParses("DM bob \tx", as: .direct(sender: "bob", text: "\tx"))
    }
}
