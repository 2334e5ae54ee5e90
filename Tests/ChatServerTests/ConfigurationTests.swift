import ChatTestSupport
import ChatTLS
import Foundation
import XCTest

/// `securechat-server --config`, `SECURECHAT_*` variables and flags, run as the real
/// binary: precedence, `--print-config`, refusals, and SIGHUP.
final class ConfigurationTests: XCTestCase {
    private var certificates: TestCertificates!
    private var directory: URL!

    override func setUp() async throws {
        certificates = try TestCertificates.make()
        directory = try makeTemporaryDirectory()
    }

    override func tearDown() async throws {
        certificates.remove()
    }

    /// Flags a test server always needs: its own certificate, database and port 0.
    private var serverFlags: [String] {
        [
            "--cert", certificates.chainPath, "--key", certificates.keyPath,
            "--db", directory.appendingPathComponent("users.db").path,
            "--port", "0", "--allow-ephemeral-port", "--password-cost", "minimum",
        ]
    }

    private func writeFile(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func testFlagOutranksEnvironmentWhichOutranksFileWhichOutranksDefault() async throws {
        let config = try writeFile(
            "securechat.yaml",
            """
            server-name: from-file
            limits:
              max-line-length: 1000
            timeouts:
              idle: 120.5
            tls:
              profile: modern
            """)
        let environment = [
            "SECURECHAT_SERVER_NAME": "from-env",
            "SECURECHAT_LIMITS_MAX_LINE_LENGTH": "2000",
        ]
        let report = try await printConfig(["--config", config, "--server-name", "from-flag"], environment: environment)
        XCTAssertEqual(report.rows["server-name"]?.value, "\"from-flag\"")
        XCTAssertEqual(report.rows["server-name"]?.source, "flag --server-name")
        XCTAssertEqual(report.rows["limits.max-line-length"]?.value, "2000")
        XCTAssertEqual(report.rows["limits.max-line-length"]?.source, "env SECURECHAT_LIMITS_MAX_LINE_LENGTH")
        XCTAssertEqual(report.rows["timeouts.idle"]?.value, "120.5")
        XCTAssertEqual(report.rows["timeouts.idle"]?.source, "file")
        XCTAssertEqual(report.rows["tls.profile"]?.value, "\"modern\"")
        XCTAssertEqual(report.rows["tls.profile"]?.source, "file")
        XCTAssertEqual(report.rows["port"]?.value, "7443")
        XCTAssertEqual(report.rows["port"]?.source, "default")
        XCTAssertTrue(report.header.contains("# file: \(config) (flag --config)"), report.header)

        // The same, live: the name a client sees in HELLO.
        let fromEnvironment = try await ServerProcess.start(serverFlags + ["--config", config], environment: environment)
        try await expectHello(fromEnvironment, "from-env")
        XCTAssertEqual(fromEnvironment.stop(), 0)
        let fromFlag = try await ServerProcess.start(
            serverFlags + ["--config", config, "--server-name", "from-flag"],
            environment: environment
        )
        try await expectHello(fromFlag, "from-flag")
        XCTAssertEqual(fromFlag.stop(), 0)
    }

    func testEveryFlagSetsItsKeyAndPrintConfigShowsTheSource() async throws {
        // Each existing flag, a value other than its default, and how the key shows it.
        let flags: [(flag: String, value: String?, key: String, shown: String)] = [
            ("--host", "127.0.0.2", "host", "\"127.0.0.2\""),
            ("--port", "7444", "port", "7444"),
            ("--cert", "a.pem", "tls.certificate", "\"a.pem\""),
            ("--key", "a-key.pem", "tls.private-key", "\"a-key.pem\""),
            ("--db", "a.db", "database", "\"a.db\""),
            ("--tls-profile", "modern", "tls.profile", "\"modern\""),
            ("--server-name", "chat", "server-name", "\"chat\""),
            ("--max-line-length", "1024", "limits.max-line-length", "1024"),
            ("--max-outbound-queue-bytes", "1025", "limits.max-outbound-queue-bytes", "1025"),
            ("--handshake-timeout", "11", "tls.handshake-timeout", "11"),
            ("--max-login-failures", "4", "logins.max-failures", "4"),
            ("--password-cost", "moderate", "hashing.cost", "\"moderate\""),
            ("--hashing-threads", "3", "hashing.threads", "3"),
            ("--max-queued-password-checks", "65", "hashing.max-queued-checks", "65"),
            ("--max-connections", "10001", "limits.max-connections", "10001"),
            ("--max-connections-per-ip", "17", "limits.max-connections-per-ip", "17"),
            ("--max-rooms-per-account", "101", "limits.max-rooms-per-account", "101"),
            ("--max-rooms", "10002", "limits.max-rooms", "10002"),
            ("--login-grace-period", "31", "timeouts.login-grace-period", "31"),
            ("--idle-timeout", "301", "timeouts.idle", "301"),
            ("--ping-timeout", "61", "timeouts.ping", "61"),
            ("--lines-per-second", "2.5", "limits.lines-per-second", "2.5"),
            ("--line-burst", "21", "limits.line-burst", "21"),
            ("--login-penalty-ms", "500", "logins.penalty-base", "0.5"),
            ("--login-penalty-max", "16", "logins.penalty-max", "16"),
            ("--allow-symlinked-secrets", nil, "allow-symlinked-secrets", "true"),
            ("--allow-ephemeral-port", nil, "allow-ephemeral-port", "true"),
            ("--event-loop-threads", "3", "event-loop-threads", "3"),
            ("--log-level", "debug", "log-level", "\"debug\""),
            ("--metrics-listen", "127.0.0.1:9464", "metrics.listen", "\"127.0.0.1:9464\""),
        ]
        let arguments = flags.flatMap { [$0.flag] + ($0.value.map { [$0] } ?? []) }
        let report = try await printConfig(arguments)
        for (flag, _, key, shown) in flags {
            XCTAssertEqual(report.rows[key]?.value, shown, key)
            XCTAssertEqual(report.rows[key]?.source, "flag \(flag)", key)
        }
        // The keys no flag sets show their defaults, and whether SIGHUP applies them.
        XCTAssertEqual(report.rows["accounts.check-interval"]?.value, "0.5")
        XCTAssertEqual(report.rows["accounts.check-interval"]?.source, "default")
        XCTAssertEqual(report.rows["timeouts.login-grace-period"]?.reload, "reloads")
        XCTAssertEqual(report.rows["port"]?.reload, "restart")
        XCTAssertEqual(report.rows["history.max-age"]?.value, "2592000")
        XCTAssertEqual(report.rows["history.max-age"]?.reload, "reloads")
        XCTAssertEqual(report.rows["database-synchronous"]?.value, "\"normal\"")
        XCTAssertEqual(report.rows["database-synchronous"]?.reload, "restart")
        XCTAssertEqual(report.rows.count, 43, "one row per key")
        XCTAssertTrue(report.header.contains("# file: none"), report.header)

        // A flag turned off outranks a file that turns it on.
        let config = try writeFile("c.json", #"{"allow-symlinked-secrets": true}"#)
        let off = try await printConfig(["--config", config, "--no-allow-symlinked-secrets"])
        XCTAssertEqual(off.rows["allow-symlinked-secrets"]?.value, "false")
        XCTAssertEqual(off.rows["allow-symlinked-secrets"]?.source, "flag --allow-symlinked-secrets")
        let on = try await printConfig(["--config", config])
        XCTAssertEqual(on.rows["allow-symlinked-secrets"]?.value, "true")
        XCTAssertEqual(on.rows["allow-symlinked-secrets"]?.source, "file")
    }

    func testConfigFileFromTheEnvironmentAndUnknownVariablesAreReported() async throws {
        let config = try writeFile("c.yml", "logins:\n  penalty-decay: 60\n")
        let report = try await printConfig(
            [],
            environment: [
                "SECURECHAT_CONFIG": config,
                "SECURECHAT_LIMITS_MAX_LINE_LENGHT": "10",
                "SECURECHAT_HASHING_THREADS": "1",
            ])
        XCTAssertTrue(report.header.contains("# file: \(config) (env SECURECHAT_CONFIG)"), report.header)
        XCTAssertTrue(report.header.contains("# ignored, no such key: SECURECHAT_LIMITS_MAX_LINE_LENGHT"), report.header)
        XCTAssertEqual(report.rows["logins.penalty-decay"]?.value, "60")
        XCTAssertEqual(report.rows["logins.penalty-decay"]?.source, "file")
        XCTAssertEqual(report.rows["hashing.threads"]?.source, "env SECURECHAT_HASHING_THREADS")
    }

    func testBrokenConfigurationIsOneLineAndExitOne() async throws {
        let cases: [(name: String, text: String?, environment: [String: String], error: String)] = [
            ("syntax.yaml", "limits: [4096\n", [:], "syntax.yaml: "),
            ("syntax.json", #"{"port": 7443,"#, [:], "syntax.json: "),
            ("unknown.yaml", "limits:\n  max-line-lenght: 10\n", [:], "unknown key 'limits.max-line-lenght'"),
            ("type.yaml", "limits:\n  max-rooms: many\n", [:], "type.yaml: limits.max-rooms: expected an integer"),
            ("range.json", #"{"limits": {"max-line-length": 0}}"#, [:], "range.json: limits.max-line-length: must be at least 1, got 0"),
            ("profile.yaml", "tls:\n  profile: old\n", [:], "tls.profile: unknown TLS profile 'old' (intermediate or modern)"),
            ("name.yaml", "server-name: two words\n", [:], "server-name: must be one word"),
            ("missing.yaml", nil, [:], "missing.yaml: "),
            ("config.toml", "port = 1\n", [:], "unknown configuration file type"),
            ("fine.yaml", "", ["SECURECHAT_LIMITS_LINE_BURST": "x"], "SECURECHAT_LIMITS_LINE_BURST: expected an integer, got 'x'"),
            ("fine.yaml", "", ["SECURECHAT_TIMEOUTS_IDLE": "-1"], "SECURECHAT_TIMEOUTS_IDLE: must be 0 to 10000000 seconds"),
        ]
        let executable = try LifecycleTests.productsDirectory.appendingPathComponent("securechat-server").path
        for (name, text, environment, error) in cases {
            let path = directory.appendingPathComponent(name).path
            if let text { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
            // The real start-up path (not --print-config): refused before anything opens.
            let result = try await ChildProcess.run(
                executable,
                serverFlags + ["--config", path],
                environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }
            )
            XCTAssertEqual(result.status, 1, name)
            let lines = result.standardError.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(name): \(result.standardError)")
            XCTAssertTrue(lines.first?.hasPrefix("securechat-server: ") == true, result.standardError)
            XCTAssertTrue(result.standardError.contains(error), "\(name): \(result.standardError)")
        }
        // A bad flag stays a usage error, as before there were files.
        let flag = try await ChildProcess.run(executable, serverFlags + ["--tls-profile", "old"])
        XCTAssertEqual(flag.status, 64)
        XCTAssertTrue(flag.standardError.contains("unknown TLS profile 'old' (intermediate or modern)"), flag.standardError)
    }

    /// `--port 99999` once listened on 34463 (99999 mod 65536); 0 listens on a port
    /// nobody can find, so it needs --allow-ephemeral-port.
    func testPortOutsideOneTo65535OrZeroUnaskedIsRefused() async throws {
        let executable = try LifecycleTests.productsDirectory.appendingPathComponent("securechat-server").path
        let base = [
            "--cert", certificates.chainPath, "--key", certificates.keyPath,
            "--db", directory.appendingPathComponent("users.db").path, "--password-cost", "minimum",
        ]
        let config = try writeFile("port.yaml", "port: 70000\n")
        let cases: [(arguments: [String], environment: [String: String], status: Int32, error: String)] = [
            (["--port", "99999"], [:], 64, "must be a port between 1 and 65535, got 99999"),
            (["--port", "65536"], [:], 64, "must be a port between 1 and 65535, got 65536"),
            (["--port", "0"], [:], 64, "0 means any free port; refused unless asked for with --allow-ephemeral-port"),
            (["--port", "0", "--no-allow-ephemeral-port"], [:], 64, "--allow-ephemeral-port"),
            ([], ["SECURECHAT_PORT": "0"], 1, "SECURECHAT_PORT: 0 means any free port"),
            (["--config", config], [:], 1, "port.yaml: port: must be a port between 1 and 65535, got 70000"),
        ]
        for (arguments, environment, status, error) in cases {
            let result = try await ChildProcess.run(
                executable,
                base + arguments,
                environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                timeout: .seconds(10)
            )
            XCTAssertFalse(result.timedOut, "\(arguments) \(environment): the server ran")
            XCTAssertEqual(result.status, status, "\(arguments) \(environment): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(error), "\(arguments) \(environment): \(result.standardError)")
        }
        // Asked for on purpose, in the environment as well as by flag.
        let report = try await printConfig(["--port", "0"], environment: ["SECURECHAT_ALLOW_EPHEMERAL_PORT": "true"])
        XCTAssertEqual(report.rows["port"]?.value, "0")
        XCTAssertEqual(report.rows["allow-ephemeral-port"]?.source, "env SECURECHAT_ALLOW_EPHEMERAL_PORT")
    }

    func testSIGHUPAppliesLimitsToNewConnectionsAndABrokenFileChangesNothing() async throws {
        let config = try writeFile(
            "securechat.yaml",
            """
            server-name: before
            timeouts:
              login-grace-period: 30
            """)
        let server = try await ServerProcess.start(serverFlags + ["--config", config])
        let early = try await connect(server, hello: "before")

        // A live limit, a live name, and a key that needs a restart.
        try Data(
            """
            server-name: after
            limits:
              max-rooms: 5
            timeouts:
              login-grace-period: 1
            """.utf8
        ).write(to: URL(fileURLWithPath: config))
        var mark = server.logged.count
        server.signal(SIGHUP)
        let reloaded = try await server.waitForLog("configuration reloaded", since: mark)
        XCTAssertTrue(reloaded.contains("certificate reloaded"), reloaded)
        let warning = reloaded.split(separator: "\n").first { $0.contains("configuration changes that need a restart were not applied") }
        XCTAssertTrue(warning?.contains("keys=limits.max-rooms") == true, reloaded)

        let late = try await connect(server, hello: "after")
        let started = ContinuousClock.now
        let lines = try await late.linesUntilClosed(timeout: .seconds(5))
        XCTAssertEqual(lines, ["BYE login timeout"])
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
        // The connection from before the reload keeps its 30 s.
        try await early.send("/ping still-here")
        try await expect(early, "PONG still-here")

        // A broken file: one line, and the running configuration stays.
        try Data("timeouts: [1\n".utf8).write(to: URL(fileURLWithPath: config))
        mark = server.logged.count
        server.signal(SIGHUP)
        let refused = try await server.waitForLog("configuration reload refused", since: mark)
        try await Task.sleep(for: .milliseconds(200))
        let afterRefusal = String(server.logged.dropFirst(mark))
        let logLines = afterRefusal.split(separator: "\n").filter { !$0.contains("SIGHUP: reloading configuration") }
        XCTAssertEqual(logLines.count, 1, afterRefusal)
        XCTAssertTrue(refused.contains("securechat.yaml"), refused)
        XCTAssertFalse(afterRefusal.contains("configuration reloaded"), afterRefusal)
        let again = try await connect(server, hello: "after")
        let stillShort = try await again.linesUntilClosed(timeout: .seconds(5))
        XCTAssertEqual(stillShort, ["BYE login timeout"])

        await early.close()
        XCTAssertEqual(server.stop(), 0)
    }

    func testExampleFileDocumentsEveryKeyWithItsDefault() async throws {
        let example = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/securechat.example.yaml")
        let text = try String(contentsOf: example, encoding: .utf8)
        let defaults = try await printConfig([])

        // As shipped, everything is commented out: it loads and changes nothing.
        let asShipped = try await printConfig(["--config", example.path])
        XCTAssertEqual(asShipped.rows.values.filter { $0.source != "default" }.count, 0)

        // With every `#key: value` line uncommented, it sets every key, to its default.
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line).replacing(/^(\s*)#([a-z][a-z0-9-]*: )/) { "\($0.1)\($0.2)" }
        }
        let path = try writeFile("uncommented.yaml", uncommented.joined(separator: "\n"))
        let everything = try await printConfig(["--config", path])
        // These two depend on the machine's cores; the example shows a typical value.
        let machineDependent: Set = ["event-loop-threads", "hashing.threads"]
        XCTAssertEqual(everything.rows.count, defaults.rows.count)
        for (key, row) in everything.rows {
            XCTAssertEqual(row.source, "file", "\(key) is not in the example")
            if !machineDependent.contains(key) {
                XCTAssertEqual(row.value, defaults.rows[key]?.value, "\(key): the example's value is not the default")
            }
        }
    }

    // MARK: Helpers

    private struct Report {
        struct Row {
            let value: String
            let source: String
            let reload: String
        }

        var header = ""
        var rows: [String: Row] = [:]
    }

    private func printConfig(
        _ arguments: [String],
        environment: [String: String] = [:],
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> Report {
        let executable = try LifecycleTests.productsDirectory.appendingPathComponent("securechat-server").path
        let result = try await ChildProcess.run(
            executable,
            arguments + ["--print-config"],
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }
        )
        XCTAssertEqual(result.status, 0, result.standardError, file: file, line: line)
        var report = Report()
        for line in result.standardOutput.split(separator: "\n") {
            if line.hasPrefix("#") {
                report.header += line + "\n"
            } else if let match = line.wholeMatch(of: /(\S+)\s{2,}(.+?)\s{2,}(.+?)\s{2,}(reloads|restart)/) {
                report.rows[String(match.1)] = .init(value: String(match.2), source: String(match.3), reload: String(match.4))
            }
        }
        return report
    }

    private func connect(
        _ server: ServerProcess,
        hello name: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> TestLineClient {
        let client = try await TestLineClient.connect(
            port: server.port,
            context: try .client(trustRootsPath: certificates.caPath),
            group: ServerHarness.clientGroup
        )
        let hello = try await client.nextLine()
        XCTAssertEqual(hello?.split(separator: " ").dropFirst().first.map(String.init), name, hello ?? "closed", file: file, line: line)
        return client
    }

    private func expectHello(_ server: ServerProcess, _ name: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let client = try await connect(server, hello: name, file: file, line: line)
        await client.close()
    }
}
