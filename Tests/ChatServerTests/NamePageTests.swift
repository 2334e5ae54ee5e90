import ChatModel
import ChatProtocol
import ChatStore
import XCTest

@testable import ChatServer

/// Picking one line of a `ROOMS` or `USERS` listing, without a server.
final class NamePageTests: XCTestCase {
    private func rooms(_ names: [String]) -> [RoomName] {
        names.map { RoomName($0)! }
    }

    func testFewNamesFitOneLineInCaseInsensitiveOrderWithoutMarker() {
        let page = NamePage(rooms(["#go", "#lobby", "#Rust", "#ada"]), after: nil, limit: 100)
        XCTAssertEqual(page.names, ["#ada", "#go", "#lobby", "#Rust"])
        XCTAssertFalse(page.hasMore)
        let none = NamePage(rooms([]), after: nil, limit: 100)
        XCTAssertEqual(none.names, [])
        XCTAssertFalse(none.hasMore)
    }

    func testOrderIsByteOrderOfTheLowercaseName() {
        // '-' < '0' < '_' < letters, the order the old full sort gave too.
        let page = NamePage(rooms(["#b_2", "#B0", "#b-1", "#a"]), after: nil, limit: 100)
        XCTAssertEqual(page.names, ["#a", "#b-1", "#B0", "#b_2"])
    }

    func testExactlyTheLimitIsOneLineAndOneMoreIsNot() {
        let three = rooms(["#c", "#a", "#b"])
        XCTAssertEqual(NamePage(three, after: nil, limit: 3).names, ["#a", "#b", "#c"])
        XCTAssertFalse(NamePage(three, after: nil, limit: 3).hasMore)

        let page = NamePage(three + rooms(["#d"]), after: nil, limit: 3)
        XCTAssertEqual(page.names, ["#a", "#b", "#c"])
        XCTAssertTrue(page.hasMore)
    }

    func testPagingWithTheLastNameGivesEveryNameOnceInOrder() {
        var generator = SystemRandomNumberGenerator()
        let names = (0..<1_000).map { "#Room-\($0)" }
        let all = rooms(names.shuffled(using: &generator))
        var listed: [String] = []
        var cursor: String?
        var pages = 0
        while pages < 1_000 {
            let page = NamePage(all, after: cursor, limit: 7)
            pages += 1
            XCTAssertLessThanOrEqual(page.names.count, 7)
            listed += page.names
            guard page.hasMore, let last = page.names.last else { break }
            // What a client sends back: the last name as shown.
            cursor = RoomName(last)!.key
        }
        XCTAssertEqual(pages, 143, "1,000 names, 7 a line")
        XCTAssertEqual(listed, names.sorted { $0.lowercased() < $1.lowercased() })
    }

    func testTheCursorNeedNotBeAListedName() {
        let all = rooms(["#a", "#b", "#c", "#d"])
        XCTAssertEqual(NamePage(all, after: "#bb", limit: 100).names, ["#c", "#d"])
        XCTAssertEqual(NamePage(all, after: "#", limit: 100).names, ["#a", "#b", "#c", "#d"])
        XCTAssertEqual(NamePage(all, after: "#z", limit: 100).names, [])
        XCTAssertFalse(NamePage(all, after: "#z", limit: 1).hasMore)
    }

    func testAUserWithSeveralSessionsIsListedOnce() {
        let users = ["carol", "alice", "Bob", "alice", "Bob", "alice"].map { UserName($0)! }
        let first = NamePage(users, after: nil, limit: 2)
        XCTAssertEqual(first.names, ["alice", "Bob"])
        XCTAssertTrue(first.hasMore)
        // Repeats of the last name on a page are not "more".
        let exact = NamePage(users.filter { $0.key != "carol" }, after: nil, limit: 2)
        XCTAssertEqual(exact.names, ["alice", "Bob"])
        XCTAssertFalse(exact.hasMore)
        XCTAssertEqual(NamePage(users, after: "bob", limit: 2).names, ["carol"])
    }

    func testALimitBelowOneStillMovesOn() {
        let page = NamePage(rooms(["#b", "#a"]), after: nil, limit: 0)
        XCTAssertEqual(page.names, ["#a"])
        XCTAssertTrue(page.hasMore)
    }
}
