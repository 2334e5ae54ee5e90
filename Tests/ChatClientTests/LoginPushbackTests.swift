@testable import ChatClient
import ChatTestSupport
import NIOCore
import Foundation
import XCTest

/// What the client says and does when the server pushes back: a connection closed
/// before TLS (a per-address limit) and `ERR busy` answering `/login`.
final class LoginPushbackTests: XCTestCase {
    func testAConnectionClosedBeforeTLSSaysTheServerRefusedIt() async throws {
        let server = try await ServerHarness.start(for: self) { configuration in
            configuration.linesPerSecond = 0
            configuration.maxConnectionsPerIP = 1
        }
        let held = try await server.connect()
        let result = try await ClientBinary.runScript(
            ["--port", "\(server.port)", "--ca", server.certificates.caPath, "--user", "alice", "--password-stdin"],
            input: [.line(ServerHarness.password(of: "alice"), pause: .zero)],
            home: try makeTemporaryDirectory()
        )
        await held.close()
        XCTAssertEqual(result.status, 1, result.standardError)
        XCTAssertEqual(
            result.standardError,
            "securechat: cannot connect to 127.0.0.1:\(server.port): the server closed the connection before TLS began (it may limit connections per address, or be full); try again later\n"
        )
        XCTAssertEqual(result.standardOutput, "")
    }

    func testBusyRetrySchedule() {
        let delays = (1...4).map { ClientLogin.busyRetryDelay(afterBusyAnswers: $0, jitter: 1) }
        XCTAssertEqual(delays, [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)])
        // Five tries in all: after the fifth busy answer, none left.
        XCTAssertNil(ClientLogin.busyRetryDelay(afterBusyAnswers: 5, jitter: 1))
        XCTAssertNil(ClientLogin.busyRetryDelay(afterBusyAnswers: 0, jitter: 1))
        // Jitter scales each pause within its range, and is clamped to it.
        XCTAssertEqual(ClientLogin.busyRetryDelay(afterBusyAnswers: 2, jitter: 0.75), .milliseconds(750))
        XCTAssertEqual(ClientLogin.busyRetryDelay(afterBusyAnswers: 2, jitter: 9), .milliseconds(1250))
        XCTAssertEqual(ClientLogin.busyRetryDelay(afterBusyAnswers: 2, jitter: 0), .milliseconds(750))
        // The whole wait, at the most jitter, stays well under 15 s.
        let longest = (1...4).compactMap { ClientLogin.busyRetryDelay(afterBusyAnswers: $0, jitter: ClientLogin.busyJitter.upperBound) }
            .reduce(Duration.zero, +)
        XCTAssertLessThanOrEqual(longest, .seconds(15))
    }

    func testClosedBeforeTLSClassification() {
        XCTAssertTrue(ChatConnection.isClosedBeforeTLS(ChannelError.eof))
        XCTAssertTrue(ChatConnection.isClosedBeforeTLS(IOError(errnoCode: ECONNRESET, reason: "read")))
        XCTAssertFalse(ChatConnection.isClosedBeforeTLS(IOError(errnoCode: ECONNREFUSED, reason: "connect")))
    }
}
