import ChatClient
import ChatTestSupport
import Foundation
import XCTest

/// The real `securechat` binary in script mode: stdin lines in, one line per event
/// out, and exit statuses a script can rely on.
final class ScriptModeBinaryTests: XCTestCase {
    private func arguments(_ server: ServerHarness, user: String, extra: [String] = []) -> [String] {
        ["--port", "\(server.port)", "--ca", server.certificates.caPath, "--user", user, "--password-stdin"] + extra
    }

    func testScriptChatsWaitsForEveryAnswerAndExitsZero() async throws {
        let server = try await startServer()
        let bob = try await server.login("bob")
        let home = try makeTemporaryDirectory()
        let result = try await ClientBinary.runScript(
            arguments(server, user: "alice"),
            input: [
                .line(ServerHarness.password(of: "alice"), pause: .zero),
                .line("hello from a script", pause: .zero),
                .line("/join #scripts", pause: .zero),
                .line("/who", pause: .zero),
                .line("/plain bob plain words", pause: .zero),
                .line("/join bad name", pause: .zero),
                .line("/msg bob sealed words", pause: .zero),
                .line("/msg nobody-here hi", pause: .zero),
            ],
            home: home
        )
        XCTAssertFalse(result.timedOut, result.standardOutput)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardError, "")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        // Each event one plain line, no colour, in the order the server answered.
        XCTAssertFalse(result.standardOutput.contains("\u{1B}"))
        let expected = [
            "OK join #scripts",
            "USERS #scripts alice",
            "OK msg bob",
            "WARNING bob has no end-to-end key; nothing sent. /plain bob <text> sends a DM the server can read",
            "WARNING no such user nobody-here; nothing sent",
            "BYE goodbye",
        ]
        let seen = lines.filter { expected.contains($0) || $0.hasPrefix("ERR bad-") }
        XCTAssertEqual(seen.filter { !$0.hasPrefix("ERR bad-") }, expected, result.standardOutput)
        XCTAssertTrue(lines.contains { $0.hasPrefix("ERR bad-") }, result.standardOutput)
        XCTAssertTrue(lines.first?.hasPrefix("NOTICE made your end-to-end key") == true, result.standardOutput)
        XCTAssertEqual(lines.last, "BYE goodbye")

        try await bob.expectLine("MSG #lobby alice hello from a script")
        try await bob.expectLine("DM alice plain words")
        await bob.close()

        // The key file: 0600, under the config dir, sealed.
        let keys = home.appendingPathComponent(".config/securechat/keys")
        let names = try FileManager.default.contentsOfDirectory(atPath: keys.path)
        XCTAssertEqual(names.count, 1, "\(names)")
        XCTAssertTrue(names.first?.hasPrefix("alice@spki-") == true, "\(names)")
        let keyFile = keys.appendingPathComponent(names.first ?? "")
        let text = try String(contentsOf: keyFile, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("securechat-secret-key v1\n"))
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(keyFile))
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(keyFile.deletingLastPathComponent().deletingLastPathComponent()))
    }

    func testAnOverlongLineIsRefusedOnStdoutAndTheScriptGoesOn() async throws {
        let server = try await startServer()
        let bob = try await server.login("bob")
        let result = try await ClientBinary.runScript(
            arguments(server, user: "alice"),
            input: [
                .line(ServerHarness.password(of: "alice"), pause: .zero),
                .line(String(repeating: "a", count: 5000), pause: .zero),
                .line("after the long one", pause: .zero),
            ],
            home: try makeTemporaryDirectory()
        )
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardError, "")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("WARNING too long to send: 5000 bytes, the server takes at most 4096 per line; nothing sent"), result.standardOutput)
        XCTAssertEqual(lines.last, "BYE goodbye")
        try await bob.expectLine("MSG #lobby alice after the long one")
        await bob.close()
    }

    /// A script has no terminal for `/passwd`'s prompts: `/passwd` alone is refused
    /// with a remark, and the quoted form on the line carries passwords with spaces.
    func testPasswdAloneIsRefusedAndTheQuotedFormChangesASpacedPassword() async throws {
        let server = try await ServerHarness.start(for: self, users: [("alice", "correct horse battery staple")]) {
            $0.linesPerSecond = 0
        }
        let home = try makeTemporaryDirectory()
        let result = try await ClientBinary.runScript(
            arguments(server, user: "alice"),
            input: [
                .line("correct horse battery staple", pause: .zero),
                .line("/passwd", pause: .zero),
                .line(#"/passwd "correct horse battery staple" "a \"new\" one ""#, pause: .zero),
            ],
            home: home
        )
        XCTAssertEqual(result.status, 0, result.standardError)
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        XCTAssertTrue(
            lines.contains(
                #"WARNING /passwd alone asks for the passwords on a terminal; in a script give both on the line: /passwd "<old>" "<new>" (\" for a quote, \\ for a backslash); nothing sent"#
            ), result.standardOutput)
        XCTAssertTrue(lines.contains("OK passwd"), result.standardOutput)
        XCTAssertEqual(lines.filter { $0.hasPrefix("ERR") }, [], result.standardOutput)
        XCTAssertTrue(lines.contains("NOTICE your key file is now sealed under the new password"), result.standardOutput)

        let again = try await ClientBinary.runScript(
            arguments(server, user: "alice"), input: [.line(#"a "new" one "#, pause: .zero), .line("/ping done", pause: .zero)], home: home)
        XCTAssertEqual(again.status, 0, again.standardError)
        XCTAssertTrue(again.standardOutput.contains("PONG done"), again.standardOutput)
        XCTAssertFalse(again.standardOutput.contains("made your end-to-end key"), again.standardOutput)
    }

    func testWrongPasswordExitsOneWithOneLine() async throws {
        let server = try await startServer()
        let result = try await ClientBinary.runScript(
            arguments(server, user: "alice"),
            input: [.line("not the password", pause: .zero), .line("hello", pause: .zero)],
            home: try makeTemporaryDirectory()
        )
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.standardError, "securechat: login failed: invalid name or password\n")
        XCTAssertEqual(result.standardOutput, "")
    }

    func testUntrustedCertificateExitsOneWithTheFingerprint() async throws {
        let server = try await startServer()
        let otherCA = try TestCertificates.make()
        defer { otherCA.remove() }
        let result = try await ClientBinary.runScript(
            ["--port", "\(server.port)", "--ca", otherCA.caPath, "--user", "alice", "--password-stdin"],
            input: [.line(ServerHarness.password(of: "alice"), pause: .zero)],
            home: try makeTemporaryDirectory()
        )
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.standardError.filter { $0 == "\n" }.count, 1, result.standardError)
        XCTAssertTrue(result.standardError.hasPrefix("securechat: refusing 127.0.0.1:\(server.port)"), result.standardError)
        let fingerprint = SHA256Hex.of(try await server.certificateSHA256())
        XCTAssertTrue(result.standardError.contains(fingerprint), result.standardError)
        XCTAssertEqual(result.standardOutput, "")
    }

    func testTrustOnFirstUseFromTheCommandLine() async throws {
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        // No --ca, and no ca.pem in the config directory: only the system roots.
        let base = ["--port", "\(server.port)", "--user", "bob", "--password-stdin"]
        let password = ChildProcess.Input.line(ServerHarness.password(of: "bob"), pause: .zero)
        let refused = try await ClientBinary.runScript(base, input: [password], home: home)
        XCTAssertEqual(refused.status, 1, refused.standardError)
        let pinned = try await ClientBinary.runScript(base + ["--trust-on-first-use"], input: [password, .line("/ping x", pause: .zero)], home: home)
        XCTAssertEqual(pinned.status, 0, pinned.standardError)
        XCTAssertTrue(pinned.standardOutput.contains("NOTICE trusted 127.0.0.1:\(server.port) on first use"), pinned.standardOutput)
        XCTAssertTrue(pinned.standardOutput.contains("PONG x\n"))
        let again = try await ClientBinary.runScript(base, input: [password], home: home)
        XCTAssertEqual(again.status, 0, again.standardError)
        let known = try String(contentsOf: home.appendingPathComponent(".config/securechat/known-servers"), encoding: .utf8)
        let fingerprint = SHA256Hex.of(try await server.certificateSHA256())
        XCTAssertTrue(known.contains("127.0.0.1:\(server.port) sha256 \(fingerprint)"), known)
    }

    func testNoServerAndMissingArgumentsExitOne() async throws {
        let home = try makeTemporaryDirectory()
        let noUser = try await ClientBinary.runScript(["--port", "1", "--password-stdin"], input: [.line("pw", pause: .zero)], home: home)
        XCTAssertEqual(noUser.status, 1)
        XCTAssertEqual(noUser.standardError, "securechat: --user is required when stdin is not a terminal\n")

        let noTerminal = try await ClientBinary.runScript(["--port", "1", "--user", "alice"], input: [], home: home)
        XCTAssertEqual(noTerminal.status, 1)
        XCTAssertEqual(noTerminal.standardError, "securechat: no terminal to ask for the password on; use --password-stdin\n")

        // A port nobody listens on (bound and closed again).
        let server = try await startServer()
        let port = server.port
        await server.stop()
        let refused = try await ClientBinary.runScript(
            ["--port", "\(port)", "--user", "alice", "--password-stdin"], input: [.line("pw", pause: .zero)], home: home
        )
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.standardError, "securechat: cannot connect to 127.0.0.1:\(port): Connection refused\n")
    }

    func testServerShutdownDuringAScriptExitsNonZero() async throws {
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        let arguments = arguments(server, user: "carol")
        async let run = ClientBinary.runScript(
            arguments,
            // Input stays open (in short steps, so the run ends as soon as the client does).
            input: [.line(ServerHarness.password(of: "carol"), pause: .zero)] + Array(repeating: .pause(.milliseconds(100)), count: 250),
            home: home
        )
        // Stop once carol is logged in, while her script is still open.
        let deadline = ContinuousClock.now + .seconds(20)
        while !server.logs.joined.split(separator: "\n").contains(where: { $0.contains("login succeeded") && $0.contains("user=carol") }),
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        await server.stop()
        let result = try await run
        XCTAssertEqual(result.status, 1, result.standardOutput)
        XCTAssertTrue(result.standardOutput.contains("BYE server shutting down"), result.standardOutput)
        XCTAssertTrue(result.standardError.hasPrefix("securechat: the server closed the connection"), result.standardError)
    }
}

enum SHA256Hex {
    static func of(_ digest: [UInt8]) -> String {
        digest.map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}
