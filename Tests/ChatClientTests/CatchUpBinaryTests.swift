import ChatTestSupport
import Foundation
import XCTest

/// The real `securechat` binary in script mode catching up on what was said while it
/// was not running: each event printed once, as a live one would be, and never
/// again at the next start.
final class CatchUpBinaryTests: XCTestCase {
    private func arguments(_ server: ServerHarness, user: String) -> [String] {
        ["--port", "\(server.port)", "--ca", server.certificates.caPath, "--user", user, "--password-stdin"]
    }

    private func run(_ server: ServerHarness, home: URL, _ lines: [String] = []) async throws -> [String] {
        let result = try await ClientBinary.runScript(
            arguments(server, user: "alice"),
            input: [.line(ServerHarness.password(of: "alice"), pause: .zero)] + lines.map { .line($0, pause: .zero) },
            home: home
        )
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardError, "")
        return result.standardOutput.split(separator: "\n").map(String.init)
    }

    func testWhatWasSaidWhileAwayIsPrintedOnceAndNotAgainAtTheNextStart() async throws {
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        let bob = try await server.login("bob")
        try await bob.send("said before alice's first start")

        // The first start on this device: what the server keeps is new here.
        let first = try await run(server, home: home, ["/join #dev", "/plain bob from alice"])
        XCTAssertEqual(first.filter { $0.contains("said before") }, ["MSG #lobby bob said before alice's first start"], first.joined(separator: "\n"))
        XCTAssertTrue(first.contains("OK msg bob"), first.joined(separator: "\n"))
        let seen = home.appendingPathComponent(".config/securechat/seen")
        let files = try FileManager.default.contentsOfDirectory(atPath: seen.path)
        XCTAssertEqual(files.count, 1, "\(files)")
        XCTAssertTrue(files.first?.hasPrefix("alice@spki-") == true, "\(files)")
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(seen.appendingPathComponent(files.first ?? "")))

        try await expect(bob, "DM alice from alice")

        // Alice is away: bob talks in both her rooms and DMs her, plainly and end to end.
        try await bob.send("in the lobby")
        try await bob.send("/join #dev")
        try await expect(bob, "OK join #dev")
        try await bob.send("/say #dev in dev")
        try await bob.send("/msg alice a plain DM")
        try await expect(bob, "OK msg alice")
        await bob.close()
        let sealer = try ScriptClient(server: server, user: "bob")
        sealer.type("/msg alice a sealed DM")
        try await sealer.waitForLine("OK emsg alice")
        await sealer.assertExit(0)

        let second = try await run(server, home: home)
        let expected = [
            "MSG #lobby bob in the lobby", "MSG #dev bob in dev", "DM bob a plain DM", "EDM bob a sealed DM",
        ]
        let messages = second.filter { $0.hasPrefix("MSG ") || $0.hasPrefix("DM") || $0.hasPrefix("EDM") }
        // Once each (the DMs come as offline mail and in the catch-up), in the order stored.
        XCTAssertEqual(messages, expected, second.joined(separator: "\n"))
        XCTAssertFalse(second.contains { $0.hasPrefix("@") || $0.contains("said before") }, second.joined(separator: "\n"))
        XCTAssertEqual(second.last, "BYE goodbye")

        let third = try await run(server, home: home)
        XCTAssertEqual(third.filter { $0.hasPrefix("MSG ") || $0.hasPrefix("DM") || $0.hasPrefix("EDM") }, [], third.joined(separator: "\n"))

        // Paging back is asked for, and shows the old lines again, opened.
        let back = try await run(server, home: home, ["/back #dev", "/back bob"])
        XCTAssertEqual(
            back.filter { !$0.hasPrefix("NOTICE") && $0 != "BYE goodbye" },
            [
                "MSG #dev bob in dev", "OK chathistory #dev 1",
                "DMSENT bob from alice", "DM bob a plain DM", "EDM bob a sealed DM", "OK chathistory bob 3",
            ], back.joined(separator: "\n"))
    }
}
