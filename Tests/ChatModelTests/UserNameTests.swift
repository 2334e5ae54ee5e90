import ChatModel
import XCTest

final class UserNameTests: XCTestCase {
    func testValidNames() throws {
        let valid = [
            "a", "alice", "Alice", "bob_99", "x.y", "first-last", "A.b_C-d",
            "0", String(repeating: "z", count: 32), "...", "-dash",
        ]
        for text in valid {
            let name = try XCTUnwrap(UserName(text), text)
            XCTAssertEqual(name.display, text)
            XCTAssertEqual(name.key, text.lowercased())
            XCTAssertEqual(name.description, text)
        }
    }

    func testInvalidNames() {
        let invalid = [
            "", " ", "a b", "a:b", ":", "a\tb", "a\nb", "a\u{0}b", "\u{7f}", "a/b", "a@b",
            "a,b", "a#b", "é", "ａlice", "аlice",  // fullwidth and Cyrillic look-alikes
            "🙂", String(repeating: "z", count: 33), "alice ", " alice",
        ]
        for text in invalid {
            XCTAssertNil(UserName(text), text.debugDescription)
        }
    }

    func testIdentityIgnoresCase() throws {
        let lower = try XCTUnwrap(UserName("alice"))
        let mixed = try XCTUnwrap(UserName("AlIcE"))
        XCTAssertEqual(lower, mixed)
        XCTAssertEqual(Set([lower, mixed]).count, 1)
        XCTAssertEqual(mixed.display, "AlIcE")
        XCTAssertEqual(mixed.key, "alice")
        XCTAssertNotEqual(lower, try XCTUnwrap(UserName("alice2")))
    }
}
