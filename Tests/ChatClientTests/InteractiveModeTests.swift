import ChatTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// The real `securechat` binary on a real pseudo-terminal (tmux): what a person sees.
final class InteractiveModeTests: XCTestCase {
    func testIncomingLinesAppearAboveWithoutManglingWhatIsBeingTyped() async throws {
        let tmux = try Tmux.start()
        defer { tmux.kill() }
        let server = try await startServer()
        let home = try makeTemporaryDirectory()

        try tmux.run(
            "cd \(home.path) && env -u NO_COLOR HOME=\(home.path) TERM=xterm-256color \(try ClientBinary.path()) --port \(server.port) --ca \(server.certificates.caPath) --user alice; echo EXIT:$?"
        )
        try await tmux.waitForScreen { $0.contains("Password for alice:") }
        tmux.type(ServerHarness.password(of: "alice"))
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("[#lobby] >") }
        XCTAssertFalse(tmux.screen().contains(ServerHarness.password(of: "alice")), "the password was echoed")

        tmux.type("half typed wor")
        try await tmux.waitForScreen { $0.contains("[#lobby] > half typed wor") }
        let bob = try await server.login("bob")
        try await bob.send("hi alice, are you typing?")
        try await bob.send("/msg alice psst, a plain DM")
        try await bob.send(String(repeating: "long ", count: 40) + "end")
        try await tmux.waitForScreen { $0.contains("end") && $0.contains("psst") }
        try await bob.expectLine("OK msg alice")

        let lines = tmux.screen().split(separator: "\n").map { String($0) }.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        XCTAssertEqual(lines.last, "[#lobby] > half typed wor", "input row after incoming lines:\n\(lines.joined(separator: "\n"))")
        // Logging in changes no membership: bob's arrival is not announced.
        XCTAssertFalse(lines.contains("* bob joined #lobby"), lines.joined(separator: "\n"))
        // Messages start with the local time.
        XCTAssertTrue(lines.contains { Self.isStamped($0, "[#lobby] bob: hi alice, are you typing?") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { Self.isStamped($0, "[DM, server-readable] bob: psst, a plain DM") }, lines.joined(separator: "\n"))
        // Colours on a terminal: the room tag is cyan.
        XCTAssertTrue(tmux.screen(escapes: true).contains("\u{1B}[36m[#lobby]"), tmux.screen(escapes: true))

        // Finishing the line sends all of it, exactly as typed.
        tmux.type("ld!")
        tmux.press("Enter")
        try await bob.expectLine("MSG #lobby alice half typed world!")

        // Editing keys work on the row: go left, insert, go to the end.
        tmux.type("abef")
        tmux.press("Left", "Left")
        tmux.type("cd")
        tmux.press("End")
        tmux.type("g")
        tmux.press("Enter")
        try await bob.expectLine("MSG #lobby alice abcdefg")

        // An end-to-end DM to someone without a key is refused on screen.
        tmux.type("/msg bob secret")
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("!! bob has no end-to-end key; nothing sent") }

        tmux.press("C-c")
        try await tmux.waitForScreen { $0.contains("EXIT:0") }
        try await expectNothingPending(bob)  // leaving tells nobody either
        await bob.close()
    }

    func testAPastedOverlongLineIsRefusedAndKeptForEditing() async throws {
        let tmux = try Tmux.start()
        defer { tmux.kill() }
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        try tmux.run(
            "cd \(home.path) && env NO_COLOR=1 HOME=\(home.path) TERM=xterm-256color \(try ClientBinary.path()) --port \(server.port) --ca \(server.certificates.caPath) --user carol; echo EXIT:$?"
        )
        try await tmux.waitForScreen { $0.contains("Password for carol:") }
        tmux.type(ServerHarness.password(of: "carol"))
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("[#lobby] >") }
        let bob = try await server.login("bob")

        tmux.type(String(repeating: "a", count: 5000))
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("!! too long to send: 5000 bytes, the server takes at most 4096 per line; nothing sent") }
        func nonBlankLines() -> [String] {
            tmux.screen().split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        // The text is back on the input row, scrolled to its end.
        try await tmux.waitForScreen { _ in nonBlankLines().last?.hasPrefix("[#lobby] > aaaaaaaa") == true }
        XCTAssertFalse(nonBlankLines().contains { $0.contains("[#lobby] carol:") }, "shown as if sent:\n\(tmux.screen())")

        // Still connected: clear the row, and the next line goes out.
        tmux.press("C-u")
        tmux.type("short one")
        tmux.press("Enter")
        try await bob.expectLine("MSG #lobby carol short one")

        tmux.press("C-c")
        try await tmux.waitForScreen { $0.contains("EXIT:0") }
        await bob.close()
    }

    func testAWrongPasswordIsAskedAgain() async throws {
        let tmux = try Tmux.start()
        defer { tmux.kill() }
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        try tmux.run(
            "cd \(home.path) && env NO_COLOR=1 HOME=\(home.path) TERM=xterm-256color \(try ClientBinary.path()) --port \(server.port) --ca \(server.certificates.caPath) --user alice; echo EXIT:$?"
        )
        try await tmux.waitForScreen { $0.contains("Password for alice:") }
        tmux.type("not the password")
        tmux.press("Enter")
        try await tmux.waitForScreen {
            $0.contains("securechat: invalid name or password; try again") && $0.components(separatedBy: "Password for alice:").count == 3
        }
        XCTAssertFalse(tmux.screen().contains("EXIT:"), tmux.screen())
        tmux.type(ServerHarness.password(of: "alice"))
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("[#lobby] >") }

        tmux.press("C-c")
        try await tmux.waitForScreen { $0.contains("EXIT:0") }
    }

    func testThreeWrongPasswordsEndWithOneLine() async throws {
        let tmux = try Tmux.start()
        defer { tmux.kill() }
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        try tmux.run(
            "cd \(home.path) && env NO_COLOR=1 HOME=\(home.path) TERM=xterm-256color \(try ClientBinary.path()) --port \(server.port) --ca \(server.certificates.caPath) --user alice; echo EXIT:$?"
        )
        for attempt in 1...3 {
            try await tmux.waitForScreen { $0.components(separatedBy: "Password for alice:").count == attempt + 1 }
            tmux.type("wrong \(attempt)")
            tmux.press("Enter")
        }
        try await tmux.waitForScreen { $0.contains("EXIT:1") }
        XCTAssertTrue(tmux.screen().contains("securechat: login failed: invalid name or password, and no tries left"), tmux.screen())
    }

    /// `HH:MM ` then `text`.
    static func isStamped(_ line: String, _ text: String) -> Bool {
        line.range(of: #"^[0-2][0-9]:[0-5][0-9] "#, options: .regularExpression) != nil && line.dropFirst(6) == text
    }

    func testActionsHelpAndTheBellOnAMention() async throws {
        let tmux = try Tmux.start()
        defer { tmux.kill() }
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        try tmux.run(
            "cd \(home.path) && env NO_COLOR=1 HOME=\(home.path) TERM=xterm-256color \(try ClientBinary.path()) --port \(server.port) --ca \(server.certificates.caPath) --user alice; echo EXIT:$?"
        )
        try await tmux.waitForScreen { $0.contains("Password for alice:") }
        tmux.type(ServerHarness.password(of: "alice"))
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("[#lobby] >") }
        let bob = try await server.login("bob")

        tmux.type("/me waves")
        tmux.press("Enter")
        try await bob.expectLine("MSG #lobby alice /me waves")
        try await bob.send("//me nods")
        try await bob.send("nothing for anyone")
        try await tmux.waitForScreen { $0.contains("nothing for anyone") }
        let lines = tmux.screen().split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { Self.isStamped($0, "[#lobby] * alice waves") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { Self.isStamped($0, "[#lobby] * bob nods") }, lines.joined(separator: "\n"))
        XCTAssertFalse(tmux.bellRang(), "a message for nobody in particular rang the bell")

        try await bob.send("alice: lunch?")
        try await tmux.waitForScreen { $0.contains("lunch?") }
        try await tmux.waitForBell()

        tmux.type("/help")
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("Direct messages") && $0.contains("Editing") }
        XCTAssertFalse(tmux.screen().contains("/emsg"), tmux.screen())

        tmux.press("C-c")
        try await tmux.waitForScreen { $0.contains("EXIT:0") }
        await bob.close()
    }

    func testNoBellTurnsTheBellOff() async throws {
        let tmux = try Tmux.start()
        defer { tmux.kill() }
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        try tmux.run(
            "cd \(home.path) && env NO_COLOR=1 HOME=\(home.path) TERM=xterm-256color \(try ClientBinary.path()) --port \(server.port) --ca \(server.certificates.caPath) --user alice --no-bell; echo EXIT:$?"
        )
        try await tmux.waitForScreen { $0.contains("Password for alice:") }
        tmux.type(ServerHarness.password(of: "alice"))
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("[#lobby] >") }
        let bob = try await server.login("bob")
        try await bob.send("/msg alice a DM, quietly")
        try await bob.send("alice: and a mention")
        try await tmux.waitForScreen { $0.contains("a DM, quietly") && $0.contains("and a mention") }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertFalse(tmux.bellRang())

        tmux.press("C-c")
        try await tmux.waitForScreen { $0.contains("EXIT:0") }
        await bob.close()
    }

    func testEndToEndDMsAreMarkedOnScreenAndCtrlDLeaves() async throws {
        let tmux = try Tmux.start()
        defer { tmux.kill() }
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        let bob = try ScriptClient(server: server, user: "bob")
        try await bob.waitUntilReady()

        try tmux.run(
            "cd \(home.path) && env NO_COLOR=1 HOME=\(home.path) TERM=xterm-256color \(try ClientBinary.path()) --port \(server.port) --ca \(server.certificates.caPath) --user alice; echo EXIT:$?"
        )
        try await tmux.waitForScreen { $0.contains("Password for alice:") }
        tmux.type(ServerHarness.password(of: "alice"))
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("[#lobby] >") && $0.contains("made your end-to-end key") }

        tmux.type("/msg bob sealed hello")
        tmux.press("Enter")
        try await bob.waitForLine("EDM alice sealed hello")
        bob.type("/msg alice sealed reply")
        try await tmux.waitForScreen { $0.contains("[e2e DM] bob: sealed reply") }
        let screen = tmux.screen()
        XCTAssertTrue(screen.contains("[e2e DM → bob] you: sealed hello"), screen)
        XCTAssertTrue(screen.contains("pinned bob's end-to-end key on first use"), screen)
        XCTAssertFalse(tmux.screen(escapes: true).contains("\u{1B}[3"), "NO_COLOR still coloured")

        tmux.press("C-d")
        try await tmux.waitForScreen { $0.contains("EXIT:0") }
        await bob.assertExit(0)
    }
}

struct TmuxMissing: Error, CustomStringConvertible {
    let description = "tmux is not installed: run Scripts/install-deps (apt-get install tmux)"
}

/// A private tmux server (its own socket) with one 100×24 window.
final class Tmux: @unchecked Sendable {
    let executable: String
    let socket = "securechat-test-\(UUID().uuidString.prefix(8))"

    private init(executable: String) {
        self.executable = executable
    }

    static func start() throws -> Tmux {
        guard let path = ["/usr/bin/tmux", "/usr/local/bin/tmux"].first(where: FileManager.default.isExecutableFile) else {
            // Scripts/test installs tmux; without it these tests fail rather than skip.
            throw TmuxMissing()
        }
        return Tmux(executable: path)
    }

    /// Starts `command` in the window. The pane stays after it exits, so its last
    /// words (the exit status) can still be read.
    func run(_ command: String) throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket).conf")
        try "set -g remain-on-exit on\n".write(to: config, atomically: true, encoding: .utf8)
        try invoke(["-f", config.path, "new-session", "-d", "-s", "chat", "-x", "100", "-y", "24", command])
    }

    func type(_ text: String) {
        try? invoke(["send-keys", "-t", "chat", "-l", text])
    }

    func press(_ keys: String...) {
        try? invoke(["send-keys", "-t", "chat"] + keys)
    }

    func screen(escapes: Bool = false) -> String {
        (try? invoke(["capture-pane", "-p", "-t", "chat"] + (escapes ? ["-e"] : []), readOutput: true)) ?? ""
    }

    func waitForScreen(
        timeout: Duration = .seconds(20),
        file: StaticString = #filePath,
        line: UInt = #line,
        _ condition: (String) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(screen()) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTFail("screen never matched:\n\(screen())", file: file, line: line)
        throw ScriptClient.Timeout(description: "screen")
    }

    /// Whether the program in the window rang the terminal bell (tmux's flag stays
    /// set once it has).
    func bellRang() -> Bool {
        (try? invoke(["display-message", "-p", "-t", "chat", "#{window_bell_flag}"], readOutput: true))?.hasPrefix("1") == true
    }

    func waitForBell(file: StaticString = #filePath, line: UInt = #line) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if bellRang() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTFail("the bell never rang", file: file, line: line)
        throw ScriptClient.Timeout(description: "bell")
    }

    func kill() {
        try? invoke(["kill-server"])
    }

    /// Runs a tmux command and waits for it with `waitpid`. Only output that is
    /// asked for goes through a pipe: the server that `new-session` forks would
    /// inherit the pipe and hold it open.
    @discardableResult
    private func invoke(_ arguments: [String], readOutput: Bool = false) throws -> String {
        var pipe: [Int32] = [-1, -1]
        guard Glibc.pipe(&pipe) == 0 else { throw ScriptClient.Timeout(description: "pipe failed") }
        defer { close(pipe[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if readOutput {
            posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        let argv = ([executable, "-L", socket] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // The test process ignores some signals (the in-process server traps SIGHUP);
        // tmux, its panes and the client must get the default handling back, or
        // kill-server cannot end them.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(pipe[1])
        guard spawned == 0 else { throw ScriptClient.Timeout(description: "cannot run tmux: \(spawned)") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while readOutput {
            let count = read(pipe[0], &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            output += buffer[..<count]
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return String(decoding: output, as: UTF8.self)
    }
}
