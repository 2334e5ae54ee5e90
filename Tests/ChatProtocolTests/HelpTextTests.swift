import ChatProtocol
import XCTest

final class HelpTextTests: XCTestCase {
    func testEveryCommandIsListedOnceAtTheStartOfALine() {
        let commands = [
            "login", "join", "leave", "say", "rooms", "who", "history", "chathistory", "catchup", "msg", "passwd", "cap", "ping", "help", "quit",
            "private", "public", "invite", "kick", "topic", "drop",
        ]
        for command in commands {
            let matching = HelpText.lines.filter { $0.hasPrefix("/\(command) ") || $0 == "/\(command)" }
            XCTAssertEqual(matching.count, 1, "/\(command)")
        }
    }

    func testListedUsagesParseAsTheirCommandOrAsUsageErrors() {
        // Each help line starts with the command word the parser accepts.
        for line in HelpText.lines where line.hasPrefix("/") {
            let word = String(line.prefix { $0 != " " })
            if case .failure(.unknownCommand) = ClientCommand.parse(word) {
                XCTFail("help lists \(word), which the parser does not know")
            }
        }
    }

    func testLinesSurviveRenderingUnchanged() {
        for line in HelpText.lines {
            XCTAssertFalse(line.isEmpty)
            var buffer = ServerEvent.info(line).rendered()
            XCTAssertEqual(buffer.readString(length: buffer.readableBytes), "INFO \(line)\r\n")
        }
    }
}
