import ChatTestSupport
import Foundation
import XCTest

/// The real `securechat` binary when the real server goes away and comes back on
/// the same port with the same database: after a crash (SIGKILL: no `BYE`, the
/// connection reset) and after a clean stop (SIGTERM: `BYE server shutting down`).
final class ReconnectBinaryTests: XCTestCase {
    func testInteractiveReconnectsAfterACrashKeepsTheInputRowAndShowsWhatWasMissedOnce() async throws {
        let tmux = try Tmux.start()
        defer { tmux.kill() }
        let server = try await ServerBinary.start(for: self)
        let home = try makeTemporaryDirectory()
        try tmux.run(
            "cd \(home.path) && env NO_COLOR=1 HOME=\(home.path) TERM=xterm-256color \(try ClientBinary.path()) \(server.clientArguments(user: "alice").joined(separator: " ")); echo EXIT:$?"
        )
        try await tmux.waitForScreen { $0.contains("Password for alice:") }
        tmux.type(ServerHarness.password(of: "alice"))
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("[#lobby] >") }
        var bob = try await server.login("bob")
        try await bob.send("before the crash")
        try await tmux.waitForScreen { $0.contains("[#lobby] bob: before the crash") }
        tmux.type("half typed")
        try await tmux.waitForScreen { $0.contains("[#lobby] > half typed") }

        server.kill()
        await bob.close()
        // Past the first tries, so that what bob says next is said while alice is away.
        try await tmux.waitForScreen(timeout: .seconds(30)) { $0.contains("reconnecting in 2s") || $0.contains("reconnecting in 3s") }
        try await server.run()
        bob = try await server.login("bob")
        try await bob.send("while you were down")
        try await tmux.waitForScreen(timeout: .seconds(30)) { $0.contains("reconnected") && $0.contains("while you were down") }
        try await expectNothingPending(bob)

        let lines = tmux.screen().split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let screen = lines.joined(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains("reconnect") }.count, 1, screen)
        XCTAssertTrue(lines.contains { $0.hasPrefix("* disconnected") && $0.hasSuffix("; reconnected") }, screen)
        XCTAssertEqual(lines.filter { $0.contains("before the crash") }.count, 1, screen)
        XCTAssertEqual(lines.filter { $0.contains("while you were down") }.count, 1, screen)
        XCTAssertEqual(lines.last, "[#lobby] > half typed", screen)

        // The kept line is sent as finished, on the new connection.
        tmux.type(" and sent")
        tmux.press("Enter")
        try await expect(bob, "MSG #lobby alice half typed and sent")
        tmux.press("C-c")
        try await tmux.waitForScreen { $0.contains("EXIT:0") }
        await bob.close()
    }

    func testScriptModeReconnectsAfterAShutdownOnlyWhenAskedTo() async throws {
        let server = try await ServerBinary.start(for: self)
        let home = try makeTemporaryDirectory()
        let alice = try LiveScript(server.clientArguments(user: "alice") + ["--password-stdin", "--reconnect"], home: home)
        alice.type(ServerHarness.password(of: "alice"))
        var bob = try await server.login("bob")
        alice.type("/ping ready")
        try await alice.waitForLine { $0 == "PONG ready" }
        try await bob.send("before the restart")
        try await alice.waitForLine { $0 == "MSG #lobby bob before the restart" }

        server.terminate()
        await bob.close()
        try await alice.waitForLine { $0 == "BYE server shutting down" }
        try await alice.waitForLine { $0.hasPrefix("NOTICE the server closed the connection") && $0.hasSuffix("; reconnecting") }
        alice.type("/ping typed while away")
        try await server.run()
        bob = try await server.login("bob")
        try await bob.send("while you were down")
        // The client's pauses between tries grow to 30 s: on a loaded machine the
        // server may be back just after a try, and the next one a whole pause later.
        try await alice.waitForLine(timeout: .seconds(45)) { $0 == "NOTICE reconnected" }
        try await alice.waitForLine { $0 == "MSG #lobby bob while you were down" }
        try await alice.waitForLine { $0 == "PONG typed while away" }
        alice.type("after")
        try await expect(bob, "MSG #lobby alice after")
        let status = try await alice.finish()
        XCTAssertEqual(status, 0, alice.standardError)
        let lines = alice.lines
        XCTAssertEqual(lines.filter { $0.contains("before the restart") }.count, 1, lines.joined(separator: "\n"))
        XCTAssertEqual(lines.filter { $0.contains("while you were down") }.count, 1, lines.joined(separator: "\n"))
        XCTAssertEqual(lines.last, "BYE goodbye")

        // Without --reconnect (the default), the same stop ends the script with status 1.
        let carol = try LiveScript(server.clientArguments(user: "carol") + ["--password-stdin"], home: try makeTemporaryDirectory())
        carol.type(ServerHarness.password(of: "carol"))
        carol.type("/ping ready")
        try await carol.waitForLine { $0 == "PONG ready" }
        server.terminate()
        let carolStatus = try await carol.finish()
        XCTAssertEqual(carolStatus, 1)
        XCTAssertTrue(carol.standardError.hasPrefix("securechat: the server closed the connection"), carol.standardError)
        await bob.close()
    }

    func testNoReconnectWhenThePasswordChangedWhileAwayOrTheAccountIsLocked() async throws {
        let server = try await ServerBinary.start(for: self)
        let useradd = try BuiltProducts.path(of: "chat-useradd")
        let alice = try LiveScript(server.clientArguments(user: "alice") + ["--password-stdin", "--reconnect"], home: try makeTemporaryDirectory())
        alice.type(ServerHarness.password(of: "alice"))
        alice.type("/ping ready")
        try await alice.waitForLine { $0 == "PONG ready" }
        server.kill()
        try await alice.waitForLine { $0.hasSuffix("; reconnecting") }
        let changed = try await ChildProcess.run(
            useradd, ["passwd", "--db", server.database, "--cost", "minimum", "--password-stdin", "alice"], input: [.line("a new one", pause: .zero)])
        XCTAssertEqual(changed.status, 0, changed.standardError)
        try await server.run()
        // Refused once, then no more tries: the client says why and exits.
        let status = try await alice.finish()
        XCTAssertEqual(status, 1)
        XCTAssertEqual(alice.standardError, "securechat: could not reconnect: login failed: invalid name or password\n")
        XCTAssertEqual(server.logged.components(separatedBy: "login failed").count - 1, 1, server.logged)

        // Locked while logged in: the server's BYE says so, and the client believes it.
        let carol = try LiveScript(server.clientArguments(user: "carol") + ["--password-stdin", "--reconnect"], home: try makeTemporaryDirectory())
        carol.type(ServerHarness.password(of: "carol"))
        carol.type("/ping ready")
        try await carol.waitForLine { $0 == "PONG ready" }
        let locked = try await ChildProcess.run(useradd, ["lock", "--db", server.database, "carol"])
        XCTAssertEqual(locked.status, 0, locked.standardError)
        try await carol.waitForLine { $0 == "BYE account disabled" }
        let carolStatus = try await carol.finish()
        XCTAssertEqual(carolStatus, 1)
        XCTAssertEqual(carol.standardError, "securechat: the server closed the connection (account disabled); not reconnecting\n")
        XCTAssertFalse(carol.lines.contains { $0.contains("reconnecting") }, carol.lines.joined(separator: "\n"))
    }
}
