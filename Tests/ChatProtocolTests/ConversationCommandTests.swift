import ChatModel
import ChatProtocol
import XCTest

/// `/cap`, `/chathistory` and `/catchup`: parsing, usage errors and the rendered
/// line a client sends.
final class ConversationCommandTests: XCTestCase {
    private func assertParses(_ line: String, as expected: ClientCommand, file: StaticString = #filePath, line testLine: UInt = #line) {
        XCTAssertEqual(ClientCommand.parse(line), .success(expected), "parsing \(line.debugDescription)", file: file, line: testLine)
    }

    private func assertFails(_ line: String, with expected: CommandParseError, file: StaticString = #filePath, line testLine: UInt = #line) {
        XCTAssertEqual(ClientCommand.parse(line), .failure(expected), "parsing \(line.debugDescription)", file: file, line: testLine)
    }

    private func assertRenders(_ command: ClientCommand, as expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(command.rendered, expected, file: file, line: line)
        XCTAssertEqual(ClientCommand.parse(expected), .success(command), "\(expected) does not parse back", file: file, line: line)
    }

    private let rust = RoomName("#Rust")!

    // MARK: - /cap

    func testCapListAndRequest() {
        self.assertParses("/cap ls", as: .capList)
        self.assertParses("/CAP LS ", as: .capList)
        self.assertParses("/cap req ids", as: .capRequest(["ids"]))
        self.assertParses("/cap REQ  ids  -ids", as: .capRequest(["ids", "-ids"]))
        // Unknown words are the server's to refuse.
        self.assertParses("/cap req frobnicate", as: .capRequest(["frobnicate"]))
        XCTAssertEqual(ClientCommand.capList.kind, .cap)
        XCTAssertEqual(ClientCommand.capRequest(["ids"]).kind, .cap)
    }

    func testCapUsageErrors() {
        let error = CommandParseError.badArguments(command: .cap, usage: "/cap ls | /cap req <capability>...")
        for line in ["/cap", "/cap  ", "/cap req", "/cap req   ", "/cap ls ids", "/cap end", "/cap list"] {
            self.assertFails(line, with: error)
        }
    }

    func testCapIsAllowedBeforeLogin() {
        XCTAssertTrue(ClientCommand.Kind.cap.isAllowedBeforeLogin)
        XCTAssertFalse(ClientCommand.Kind.chathistory.isAllowedBeforeLogin)
        XCTAssertFalse(ClientCommand.Kind.catchup.isAllowedBeforeLogin)
    }

    func testTheOnlyCapabilityIsIds() {
        XCTAssertEqual(Capability.allCases.map(\.rawValue), ["ids"])
    }

    // MARK: - /chathistory

    func testChatHistorySelectors() {
        self.assertParses("/chathistory latest #Rust", as: .chatHistory(ChatHistoryQuery(.latest, target: .room(rust))))
        self.assertParses("/chathistory latest bob 5", as: .chatHistory(ChatHistoryQuery(.latest, target: .user("bob"), limit: 5)))
        self.assertParses("/chathistory before #Rust 42", as: .chatHistory(ChatHistoryQuery(.before(42), target: .room(rust), limit: 100)))
        self.assertParses("/ChatHistory AFTER bob 0 1000", as: .chatHistory(ChatHistoryQuery(.after(0), target: .user("bob"), limit: 1000)))
        self.assertParses(
            "/chathistory between #Rust 9 3 7", as: .chatHistory(ChatHistoryQuery(.between(9, 3), target: .room(rust), limit: 7)))
        self.assertParses(
            "/chathistory before bob 9223372036854775807",
            as: .chatHistory(ChatHistoryQuery(.before(Int64.max), target: .user("bob"))))
    }

    func testChatHistoryUsageErrors() {
        let usage = "/chathistory latest <target> [limit] | before|after <target> <id> [limit] | between <target> <id> <id> [limit]"
        let error = CommandParseError.badArguments(command: .chathistory, usage: usage)
        let lines = [
            "/chathistory", "/chathistory latest", "/chathistory newest #a", "/chathistory before #a", "/chathistory after bob x",
            "/chathistory between #a 1", "/chathistory latest #a 0", "/chathistory latest #a 1001", "/chathistory latest #a 01000 ",
            "/chathistory latest #a -1", "/chathistory before #a 9223372036854775808", "/chathistory before #a -5",
            "/chathistory after bob 1 2 3", "/chathistory latest #a 10 x", "/chathistory before #a 1e3",
        ]
        for line in lines {
            self.assertFails(line, with: error)
        }
        // The arguments are counted first, then the room's name is checked.
        self.assertFails("/chathistory latest #no!", with: .badRoomName("#no!"))
    }

    // MARK: - /catchup

    func testCatchUp() {
        self.assertParses("/catchup 0", as: .catchUp(after: 0, limit: 500))
        self.assertParses("/CATCHUP  1234  20 ", as: .catchUp(after: 1234, limit: 20))
        XCTAssertEqual(ClientCommand.catchUp(after: 1, limit: 1).kind, .catchup)
    }

    func testCatchUpUsageErrors() {
        let error = CommandParseError.badArguments(
            command: .catchup, usage: "/catchup <id> [limit]")
        for line in ["/catchup", "/catchup x", "/catchup -1", "/catchup 1 0", "/catchup 1 1001", "/catchup 1 2 3", "/catchup 1 ten"] {
            self.assertFails(line, with: error)
        }
    }

    // MARK: - Rendering

    func testEachRendersTheLineThatParsesBackToIt() {
        self.assertRenders(.capList, as: "/cap ls")
        self.assertRenders(.capRequest(["ids"]), as: "/cap req ids")
        self.assertRenders(.capRequest(["ids", "-ids"]), as: "/cap req ids -ids")
        self.assertRenders(.chatHistory(ChatHistoryQuery(.latest, target: .room(rust))), as: "/chathistory latest #Rust 100")
        self.assertRenders(.chatHistory(ChatHistoryQuery(.before(42), target: .user("bob"), limit: 10)), as: "/chathistory before bob 42 10")
        self.assertRenders(.chatHistory(ChatHistoryQuery(.after(7), target: .room(rust), limit: 1)), as: "/chathistory after #Rust 7 1")
        self.assertRenders(
            .chatHistory(ChatHistoryQuery(.between(3, 9), target: .user("bob"), limit: 1000)), as: "/chathistory between bob 3 9 1000")
        self.assertRenders(.catchUp(after: 0, limit: 500), as: "/catchup 0 500")
        self.assertRenders(.catchUp(after: Int64.max, limit: 1), as: "/catchup 9223372036854775807 1")
    }
}
