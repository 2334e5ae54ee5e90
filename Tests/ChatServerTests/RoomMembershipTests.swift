import ChatModel
import ChatProtocol
import XCTest

@testable import ChatServer

/// One session's rooms and its current room.
final class RoomMembershipTests: XCTestCase {
    private func room(_ name: String, file: StaticString = #filePath, line: UInt = #line) -> RoomName {
        guard let room = RoomName(name) else {
            XCTFail("\(name) is not a room name", file: file, line: line)
            return .lobby
        }
        return room
    }

    func testStartsInNoRoom() {
        let membership = RoomMembership()
        XCTAssertEqual(membership.rooms, [])
        XCTAssertNil(membership.current)
        XCTAssertFalse(membership.contains(.lobby))
    }

    func testJoinAddsTheRoomAndMakesItCurrent() {
        var membership = RoomMembership()
        XCTAssertTrue(membership.join(.lobby))
        XCTAssertEqual(membership.current, .lobby)
        XCTAssertTrue(membership.join(room("#rust")))
        XCTAssertEqual(membership.current, room("#rust"))
        XCTAssertEqual(membership.rooms, [.lobby, room("#rust")])
        XCTAssertTrue(membership.contains(.lobby))
    }

    func testJoiningAgainReturnsFalseButMakesItCurrent() {
        var membership = RoomMembership()
        membership.join(.lobby)
        membership.join(room("#rust"))
        XCTAssertFalse(membership.join(.lobby))
        XCTAssertEqual(membership.current, .lobby)
        XCTAssertEqual(membership.rooms, [.lobby, room("#rust")])
    }

    func testLeavingTheCurrentRoomFallsBackToTheLobby() {
        var membership = RoomMembership()
        membership.join(.lobby)
        membership.join(room("#rust"))
        XCTAssertTrue(membership.leave(room("#rust")))
        XCTAssertEqual(membership.current, .lobby)
        XCTAssertEqual(membership.rooms, [.lobby])
    }

    func testLeavingTheCurrentRoomWithoutTheLobbyLeavesNoCurrentRoom() {
        var membership = RoomMembership()
        membership.join(room("#a"))
        membership.join(room("#b"))
        XCTAssertTrue(membership.leave(room("#b")))
        // Not silently moved to another room the user happens to be in.
        XCTAssertNil(membership.current)
        XCTAssertEqual(membership.rooms, [room("#a")])
    }

    func testLeavingTheLobbyWhileInItLeavesNoCurrentRoom() {
        var membership = RoomMembership()
        membership.join(room("#rust"))
        membership.join(.lobby)
        XCTAssertTrue(membership.leave(.lobby))
        XCTAssertNil(membership.current)
        XCTAssertEqual(membership.rooms, [room("#rust")])
    }

    func testLeavingAnotherRoomKeepsTheCurrentOne() {
        var membership = RoomMembership()
        membership.join(.lobby)
        membership.join(room("#rust"))
        XCTAssertTrue(membership.leave(.lobby))
        XCTAssertEqual(membership.current, room("#rust"))
        XCTAssertEqual(membership.rooms, [room("#rust")])
    }

    func testLeavingARoomNotJoinedReturnsFalseAndChangesNothing() {
        var membership = RoomMembership()
        membership.join(.lobby)
        XCTAssertFalse(membership.leave(room("#elsewhere")))
        XCTAssertEqual(membership.current, .lobby)
        XCTAssertEqual(membership.rooms, [.lobby])

        var empty = RoomMembership()
        XCTAssertFalse(empty.leave(.lobby))
        XCTAssertNil(empty.current)
    }

    func testRoomNamesAreCaseInsensitive() {
        var membership = RoomMembership()
        XCTAssertTrue(membership.join(room("#Rust")))
        XCTAssertFalse(membership.join(room("#rust")))
        XCTAssertTrue(membership.contains(room("#RUST")))
        XCTAssertEqual(membership.rooms.count, 1)
        // The spelling of the first join is the one kept.
        XCTAssertEqual(membership.rooms.first?.display, "#Rust")

        XCTAssertTrue(membership.leave(room("#rUsT")))
        XCTAssertEqual(membership.rooms, [])
        XCTAssertNil(membership.current)
    }
}
