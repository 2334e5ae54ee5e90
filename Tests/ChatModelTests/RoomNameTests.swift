import ChatModel
import XCTest

final class RoomNameTests: XCTestCase {
    func testValidNames() {
        for text in ["#a", "#lobby", "#Rust", "#snake_case", "#kebab-case", "#0", "#A1_b2-C3", "#" + String(repeating: "x", count: 32)] {
            XCTAssertNotNil(RoomName(text), text)
        }
    }

    func testDisplayKeepsSpellingAndKeyIsLowercased() throws {
        let room = try XCTUnwrap(RoomName("#Rust_Lang-2"))
        XCTAssertEqual(room.display, "#Rust_Lang-2")
        XCTAssertEqual(room.key, "#rust_lang-2")
        XCTAssertEqual(room.description, "#Rust_Lang-2")
        XCTAssertEqual("\(room)", "#Rust_Lang-2")
    }

    func testTooLongOrEmptyNamesAreRejected() {
        XCTAssertNil(RoomName("#" + String(repeating: "x", count: 33)))
        XCTAssertNil(RoomName("#"))
        XCTAssertNil(RoomName(""))
    }

    func testMissingHashIsRejected() {
        XCTAssertNil(RoomName("lobby"))
        XCTAssertNil(RoomName("lobby#"))
        XCTAssertNil(RoomName(" #lobby"))
    }

    func testBadCharactersAreRejected() {
        for text in ["#a b", "#a.b", "#a#b", "##", "#a/b", "#a\tb", "#a\r", "#a\u{0}", "#caf\u{E9}", "#\u{0420}ust", "#ｒｕｓｔ", "#a\u{301}", "#lobby "] {
            XCTAssertNil(RoomName(text), text.debugDescription)
        }
    }

    func testEqualityAndHashingIgnoreCase() throws {
        let upper = try XCTUnwrap(RoomName("#RUST"))
        let lower = try XCTUnwrap(RoomName("#rust"))
        let other = try XCTUnwrap(RoomName("#rusty"))
        XCTAssertEqual(upper, lower)
        XCTAssertNotEqual(upper, other)
        XCTAssertEqual(upper.hashValue, lower.hashValue)
        let set: Set<RoomName> = [upper, lower, other]
        XCTAssertEqual(set.count, 2)
        XCTAssertTrue(set.contains(try XCTUnwrap(RoomName("#RuSt"))))
    }

    func testLobby() throws {
        XCTAssertEqual(RoomName.lobby.display, "#lobby")
        XCTAssertEqual(RoomName.lobby.key, "#lobby")
        XCTAssertEqual(RoomName.lobby, try XCTUnwrap(RoomName("#LOBBY")))
    }
}
