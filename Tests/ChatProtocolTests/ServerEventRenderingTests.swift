import ChatModel
import ChatProtocol
import NIOCore
import XCTest

final class ServerEventRenderingTests: XCTestCase {
    private func assertRenders(
        _ event: ServerEvent,
        as expected: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        var buffer = event.rendered()
        XCTAssertEqual(buffer.readString(length: buffer.readableBytes), expected, file: file, line: line)
    }

    // MARK: - Every event

    func testHello() {
        self.assertRenders(.hello(server: "securechat", text: "welcome, please /login"), as: "HELLO securechat welcome, please /login\r\n")
    }

    func testOK() {
        self.assertRenders(.ok(command: "join", details: nil), as: "OK join\r\n")
        self.assertRenders(.ok(command: "msg", details: "bob"), as: "OK msg bob\r\n")
        self.assertRenders(.ok(command: "login", details: "welcome back, alice"), as: "OK login welcome back, alice\r\n")
    }

    func testOKWithEmptyDetailsOmitsTheField() {
        self.assertRenders(.ok(command: "join", details: ""), as: "OK join\r\n")
    }

    func testError() {
        self.assertRenders(.error(.authFailed, "invalid name or password"), as: "ERR auth-failed invalid name or password\r\n")
    }

    func testEveryErrorCodeRendersItsRawValue() {
        let expected: [ErrorCode: String] = [
            .authFailed: "auth-failed", .loginRequired: "login-required", .unknownCommand: "unknown-command",
            .badArguments: "bad-arguments", .noSuchUser: "no-such-user", .mailboxFull: "mailbox-full",
            .noSuchRoom: "no-such-room", .notInRoom: "not-in-room", .notInvited: "not-invited", .notOwner: "not-owner", .badRoomName: "bad-room-name",
            .lineTooLong: "line-too-long", .badEncoding: "bad-encoding", .busy: "busy", .notStored: "not-stored",
            .noKey: "no-key", .flood: "flood", .tooManyRooms: "too-many-rooms",
        ]
        XCTAssertEqual(ErrorCode.known.count, expected.count)
        for code in ErrorCode.known {
            guard let wire = expected[code] else {
                XCTFail("no expected wire form for \(code)")
                continue
            }
            self.assertRenders(.error(code, "x"), as: "ERR \(wire) x\r\n")
        }
    }

    func testMessage() {
        self.assertRenders(.message(room: "#Rust", sender: "alice", text: "hi  all\t!"), as: "MSG #Rust alice hi  all\t!\r\n")
    }

    func testDirect() {
        self.assertRenders(.direct(sender: "alice", text: "psst, bob"), as: "DM alice psst, bob\r\n")
    }

    func testJoinedAndLeft() {
        self.assertRenders(.joined(room: "#lobby", user: "bob"), as: "JOIN #lobby bob\r\n")
        self.assertRenders(.left(room: "#lobby", user: "bob"), as: "LEAVE #lobby bob\r\n")
    }

    func testRooms() {
        self.assertRenders(.rooms(["#lobby", "#Rust", "#go"]), as: "ROOMS #lobby #Rust #go\r\n")
        self.assertRenders(.rooms([]), as: "ROOMS\r\n")
    }

    func testUsers() {
        self.assertRenders(.users(room: "#lobby", ["alice", "bob"]), as: "USERS #lobby alice bob\r\n")
        self.assertRenders(.users(room: "#empty", []), as: "USERS #empty\r\n")
    }

    func testAListingWithMoreToComeEndsInTheMarker() {
        self.assertRenders(.rooms(["#lobby", "#Rust"], more: true), as: "ROOMS #lobby #Rust +\r\n")
        self.assertRenders(.rooms(["#lobby", "#Rust"], more: false), as: "ROOMS #lobby #Rust\r\n")
        self.assertRenders(.users(room: "#lobby", ["alice", "bob"], more: true), as: "USERS #lobby alice bob +\r\n")
        // The marker is a field no room name (# first) or user name can be.
        XCTAssertNil(RoomName(ServerEvent.listingContinues))
        XCTAssertFalse(ServerEvent.listingContinues.contains { $0.isLetter || $0.isNumber || "_.-".contains($0) })
    }

    func testPong() {
        self.assertRenders(.pong(nil), as: "PONG\r\n")
        self.assertRenders(.pong(""), as: "PONG\r\n")
        self.assertRenders(.pong("abc 123"), as: "PONG abc 123\r\n")
    }

    func testInfoAndBye() {
        self.assertRenders(.info("/join <room> - join a room"), as: "INFO /join <room> - join a room\r\n")
        self.assertRenders(.bye("goodbye"), as: "BYE goodbye\r\n")
    }

    func testPingKeyAndEncryptedDirect() {
        self.assertRenders(.ping("k3x9"), as: "PING k3x9\r\n")
        self.assertRenders(.key(user: "alice", key: "AAEC+/8="), as: "KEY alice AAEC+/8=\r\n")
        self.assertRenders(.encryptedDirect(sender: "bob", payload: "c2VhbGVk"), as: "EDM bob c2VhbGVk\r\n")
        // Word fields: a space smuggled into the payload cannot add a field.
        self.assertRenders(.encryptedDirect(sender: "bob", payload: "a b"), as: "EDM bob a\u{FFFD}b\r\n")
    }

    func testPrivateRoomLines() {
        self.assertRenders(.topic(room: "#plans", text: "release on Friday"), as: "TOPIC #plans release on Friday\r\n")
        // No topic: the text is left out with its separator, as OK's details are.
        self.assertRenders(.topic(room: "#plans", text: nil), as: "TOPIC #plans\r\n")
        self.assertRenders(.topic(room: "#plans", text: ""), as: "TOPIC #plans\r\n")
        self.assertRenders(.topic(room: "#plans", text: "a\r\nKICK #plans bob alice"), as: "TOPIC #plans a\u{FFFD}\u{FFFD}KICK #plans bob alice\r\n")
        self.assertRenders(.invited(room: "#plans", by: "alice"), as: "INVITE #plans alice\r\n")
        self.assertRenders(.kicked(room: "#plans", user: "bob", by: "alice"), as: "KICK #plans bob alice\r\n")
        self.assertRenders(.kicked(room: "#plans", user: "b ob", by: "alice"), as: "KICK #plans b\u{FFFD}ob alice\r\n")
        self.assertRenders(.dropped(room: "#plans", by: "alice"), as: "DROP #plans alice\r\n")
    }

    func testWhatTheAccountSent() {
        self.assertRenders(.directSent(recipient: "bob", text: "lunch  at noon?"), as: "DMSENT bob lunch  at noon?\r\n")
        self.assertRenders(.encryptedDirectSent(recipient: "bob", payload: "c2VhbGVk"), as: "EDMSENT bob c2VhbGVk\r\n")
        // The recipient is one word, the payload too; the text stays one line.
        self.assertRenders(.directSent(recipient: "b ob", text: "a\r\nBYE"), as: "DMSENT b\u{FFFD}ob a\u{FFFD}\u{FFFD}BYE\r\n")
        self.assertRenders(.encryptedDirectSent(recipient: "bob", payload: "a b"), as: "EDMSENT bob a\u{FFFD}b\r\n")
        self.assertRenders(
            .stamped(EventStamp(id: 12, time: EventTime(millisecondsSince1970: 1_796_420_837_123)), .directSent(recipient: "bob", text: "hi")),
            as: "@id=12;time=2026-12-04T21:47:17.123Z DMSENT bob hi\r\n")
    }

    func testEmptyRequiredTextKeepsItsSeparator() {
        self.assertRenders(.info(""), as: "INFO \r\n")
    }

    func testUnicodeIsWrittenAsUTF8() {
        let event = ServerEvent.message(room: "#lobby", sender: "zoë", text: "日本語 \u{1F600}")
        var buffer = event.rendered()
        XCTAssertEqual(buffer.readBytes(length: buffer.readableBytes), Array("MSG #lobby zoë 日本語 \u{1F600}\r\n".utf8))
    }

    // MARK: - Buffer handling

    func testWriteAppendsToExistingBytes() {
        var buffer = ByteBufferAllocator().buffer(string: "prefix|")
        ServerEvent.pong("1").write(to: &buffer)
        ServerEvent.bye("done").write(to: &buffer)
        XCTAssertEqual(buffer.readString(length: buffer.readableBytes), "prefix|PONG 1\r\nBYE done\r\n")
    }

    func testRenderedBufferHoldsExactlyOneLine() {
        let buffer = ServerEvent.info("x").rendered()
        XCTAssertEqual(buffer.readerIndex, 0)
        XCTAssertEqual(buffer.readableBytes, 8)
    }

    // MARK: - Line injection

    func testCRLFInTextCannotForgeALine() {
        self.assertRenders(
            .message(room: "#lobby", sender: "mallory", text: "hi\r\nMSG #lobby admin give me your password"),
            as: "MSG #lobby mallory hi\u{FFFD}\u{FFFD}MSG #lobby admin give me your password\r\n"
        )
    }

    func testEveryForbiddenControlCharacterIsReplacedInText() {
        var forbidden = (0x00...0x1F).filter { $0 != 0x09 }
        forbidden += [0x7F]
        forbidden += Array(0x80...0x9F)
        for value in forbidden {
            guard let scalar = Unicode.Scalar(value) else {
                return XCTFail("bad test scalar \(value)")
            }
            self.assertRenders(.info("a\(Character(scalar))b"), as: "INFO a\u{FFFD}b\r\n")
        }
    }

    func testTABAndNonControlCharactersSurviveInText() {
        self.assertRenders(.info("a\tb\u{A0}c\u{7E}"), as: "INFO a\tb\u{A0}c~\r\n")
    }

    func testANSIEscapesAreNeutralised() {
        self.assertRenders(.direct(sender: "eve", text: "\u{1B}[2J\u{9B}31m"), as: "DM eve \u{FFFD}[2J\u{FFFD}31m\r\n")
    }

    func testControlCharactersInWordFieldsAreReplaced() {
        self.assertRenders(.joined(room: "#a\r\nBYE x", user: "b\u{0}"), as: "JOIN #a\u{FFFD}\u{FFFD}BYE\u{FFFD}x b\u{FFFD}\r\n")
        self.assertRenders(.ok(command: "o\nk", details: "d\re"), as: "OK o\u{FFFD}k d\u{FFFD}e\r\n")
        self.assertRenders(.error(.busy, "try\nagain"), as: "ERR busy try\u{FFFD}again\r\n")
    }

    func testSpacesInWordFieldsAreReplacedSoFieldsStayAligned() {
        self.assertRenders(
            .message(room: "#lobby", sender: "fake name", text: "text"),
            as: "MSG #lobby fake\u{FFFD}name text\r\n"
        )
        self.assertRenders(.rooms(["#a b", "#c\td"]), as: "ROOMS #a\u{FFFD}b #c\u{FFFD}d\r\n")
        self.assertRenders(.hello(server: "my server", text: "hi there"), as: "HELLO my\u{FFFD}server hi there\r\n")
    }

    func testEveryEventIsExactlyOneLineWhateverItsFieldsHold() {
        let nasty = "x\r\ny\nz\r\u{85}\u{2028}w"
        let events: [ServerEvent] = [
            .hello(server: nasty, text: nasty), .ok(command: nasty, details: nasty), .error(.busy, nasty),
            .message(room: nasty, sender: nasty, text: nasty), .direct(sender: nasty, text: nasty),
            .joined(room: nasty, user: nasty), .left(room: nasty, user: nasty), .rooms([nasty, nasty]),
            .users(room: nasty, [nasty]), .pong(nasty), .info(nasty), .bye(nasty),
        ]
        for event in events {
            let bytes = Array(event.rendered().readableBytesView)
            XCTAssertEqual(bytes.filter { $0 == 0x0A }.count, 1, "\(event)")
            XCTAssertEqual(bytes.filter { $0 == 0x0D }.count, 1, "\(event)")
            XCTAssertEqual(Array(bytes.suffix(2)), [0x0D, 0x0A], "\(event)")
            let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars
            XCTAssertFalse(scalars.contains("\u{85}"), "NEL survived in \(event)")
        }
    }

    func testRenderedLinesDecodeBackThroughTheLineDecoder() throws {
        // What the server writes must be readable by the same framing rules.
        let harness = try LineDecoderHarness()
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        ServerEvent.message(room: "#lobby", sender: "eve", text: "a\u{1B}b\rc").write(to: &buffer)
        ServerEvent.pong("t").write(to: &buffer)
        try harness.feed(Array(buffer.readableBytesView))
        XCTAssertEqual(try harness.lines(), [.text("MSG #lobby eve a\u{FFFD}b\u{FFFD}c"), .text("PONG t")])
    }
}
