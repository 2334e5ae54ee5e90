import ChatTestSupport
import XCTest

/// A person at `openssl s_client -crlf`, the way README and PROTOCOL.md show it.
final class OpenSSLClientTests: XCTestCase {
    func testPersonOnSClientLogsInChatsAndQuits() async throws {
        let harness = try await ServerHarness.start(for: self)
        let bob = try await harness.login("bob")
        let result = try await ChildProcess.run(
            "/usr/bin/openssl",
            ["s_client", "-connect", "127.0.0.1:\(harness.port)", "-crlf", "-quiet", "-CAfile", harness.certificates.caPath],
            input: [
                .pause(.milliseconds(300)),
                .line("/login alice alice password"),
                .line("hello from s_client"),
                .line("/quit off to lunch"),
            ],
            closeInput: false,  // -quiet ignores EOF anyway; /quit must end the session
            timeout: .seconds(15)
        )
        XCTAssertFalse(result.timedOut, "s_client did not exit after /quit")
        let lines = result.standardOutput.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init)
        XCTAssertEqual(lines.count, 3, result.standardOutput)
        XCTAssertTrue(lines.first?.hasPrefix("HELLO securechat ") == true)
        XCTAssertEqual(Array(lines.dropFirst()), ["OK login alice", "BYE off to lunch"])
        XCTAssertEqual(result.status, 0)

        try await expect(bob, "MSG #lobby alice hello from s_client")
        // The server saw a clean TLS close (close_notify), not a dropped connection.
        XCTAssertFalse(harness.logs.joined.contains("without close_notify"))
        await bob.close()
    }
}
