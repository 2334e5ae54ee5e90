@testable import ChatClient
import XCTest

final class ServerLineTests: XCTestCase {
    func testEveryKindOfLineIsParsed() {
        let cases: [(String, ServerLine)] = [
            ("HELLO securechat welcome; log in with /login <name> <password>", .hello(server: "securechat", text: "welcome; log in with /login <name> <password>")),
            ("OK login alice", .ok(command: "login", details: "alice")),
            ("OK key", .ok(command: "key", details: nil)),
            ("ERR no-such-user no such user", .error(code: "no-such-user", text: "no such user")),
            ("ERR future-code ", .error(code: "future-code", text: "")),
            ("MSG #lobby bob hi  there ", .message(room: "#lobby", sender: "bob", text: "hi  there ")),
            ("MSG #lobby bob ", .message(room: "#lobby", sender: "bob", text: "")),
            ("DM bob see you", .direct(sender: "bob", text: "see you")),
            ("EDM bob QUJD", .encryptedDirect(sender: "bob", payload: "QUJD")),
            ("JOIN #rust alice", .joined(room: "#rust", user: "alice")),
            ("LEAVE #rust alice", .left(room: "#rust", user: "alice")),
            ("ROOMS #lobby #rust", .rooms(["#lobby", "#rust"])),
            ("ROOMS", .rooms([])),
            ("USERS #lobby alice bob", .users(room: "#lobby", ["alice", "bob"])),
            ("KEY bob 3HQhbLU7ClX+J1UqEEwbndBeRL4ezL16uMY751RqKH8=", .key(user: "bob", base64: "3HQhbLU7ClX+J1UqEEwbndBeRL4ezL16uMY751RqKH8=")),
            ("PONG", .pong(nil)),
            ("PONG a b", .pong("a b")),
            ("PING 1x3", .ping("1x3")),
            ("INFO /help - show this help", .info("/help - show this help")),
            ("INFO ", .info("")),
            ("BYE goodbye", .bye("goodbye")),
        ]
        for (line, expected) in cases {
            XCTAssertEqual(ServerLine(parsing: line), expected, line)
        }
    }

    func testMalformedOrUnknownLinesAreKeptVerbatim() {
        for line in ["", "NOPE x", "MSG #lobby", "EDM bob", "EDM bob a b", "JOIN #x", "KEY bob", "KEY bob a b", "OK", "ERR", "hello", "MSG  bob x"] {
            XCTAssertEqual(ServerLine(parsing: line), .unrecognized(line), line)
        }
    }

    func testAListingThatEndsInTheMarkerHasMore() {
        XCTAssertEqual(ServerLine(parsing: "ROOMS #a #b +"), .rooms(["#a", "#b"], more: true))
        XCTAssertEqual(ServerLine(parsing: "ROOMS #a #b"), .rooms(["#a", "#b"], more: false))
        XCTAssertEqual(ServerLine(parsing: "USERS #a alice bob +"), .users(room: "#a", ["alice", "bob"], more: true))
        XCTAssertEqual(ServerLine(parsing: "USERS #a alice"), .users(room: "#a", ["alice"], more: false))
        // A marker with no name before it leaves nothing to ask again with.
        for line in ["ROOMS +", "USERS #a +"] {
            XCTAssertEqual(ServerLine(parsing: line), .unrecognized(line), line)
        }
    }

    func testTextGivesTheWireFormBack() {
        for line in ["OK join #rust", "OK key", "ROOMS", "ROOMS #a #b", "ROOMS #a #b +", "USERS #a alice +", "USERS #a", "PONG", "PONG tok", "MSG #a b c d", "ERR busy try later", "EDM bob QUJD", "weird thing"] {
            XCTAssertEqual(ServerLine(parsing: line).text, line)
        }
    }
}
