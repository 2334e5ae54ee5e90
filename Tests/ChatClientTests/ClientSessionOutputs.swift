@testable import ChatClient
import ChatProtocol
import XCTest

/// Reading what a `ClientSession` answers, and playing the server's side of its
/// key look-ups, for the tests that drive a session without sockets.
extension XCTestCase {
    func sent(_ outputs: [ClientSession.Output]) -> [String] {
        outputs.compactMap { if case .send(let line) = $0 { line } else { nil } }
    }

    func shown(_ outputs: [ClientSession.Output]) -> [Notice] {
        outputs.compactMap { if case .show(let notice) = $0 { notice } else { nil } }
    }

    /// Answers a look-up the way the server does: PONG for its barrier, then `reply`.
    func answerLookup(
        _ session: ClientSession,
        _ outputs: [ClientSession.Output],
        reply: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) -> [ClientSession.Output] {
        let lines = sent(outputs)
        guard let ping = lines.first(where: { $0.hasPrefix("/ping ") }) else {
            XCTFail("no look-up in \(lines)", file: file, line: line)
            return []
        }
        XCTAssertEqual(session.serverEvent(.pong(String(ping.dropFirst(6)))), [], file: file, line: line)
        guard let event = ServerEvent.parse(reply) else {
            XCTFail("\(reply) is not a server line", file: file, line: line)
            return []
        }
        return session.serverEvent(event)
    }

    func emsgPayload(_ outputs: [ClientSession.Output]) -> String? {
        sent(outputs).first { $0.hasPrefix("/emsg ") }.map { String($0.split(separator: " ")[2]) }
    }
}
