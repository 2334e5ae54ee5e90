import ChatTestSupport
import Foundation
import NIOConcurrencyHelpers
import XCTest

/// The built `securechat` executable, run the way a person or a script runs it.
enum ClientBinary {
    static func path() throws -> String {
        try BuiltProducts.path(of: "securechat")
    }

    /// An environment whose config directory is `home/.config/securechat` and
    /// without NO_COLOR or a terminal type to sway the output.
    static func environment(home: URL) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment.removeValue(forKey: "XDG_CONFIG_HOME")
        environment.removeValue(forKey: "NO_COLOR")
        return environment
    }

    /// Runs the client in a new session (setsid), so it has no controlling terminal
    /// even when the tests run in one: stdin is a pipe and there is no /dev/tty.
    /// It runs in `currentDirectory`, or in `home` when that is nil.
    static func runScript(
        _ arguments: [String],
        input: [ChildProcess.Input],
        home: URL,
        currentDirectory: URL? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            "/usr/bin/setsid",
            ["--wait", try path()] + arguments,
            input: input,
            environment: environment(home: home),
            currentDirectory: currentDirectory ?? home,
            timeout: timeout
        )
    }
}

/// The `securechat` binary in script mode with its standard input held open, for
/// tests that type lines in while things happen around it (a server restart), and
/// read what it printed so far.
final class LiveScript: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = NIOLockedValueBox("")
    private let errors = NIOLockedValueBox("")

    init(_ arguments: [String], home: URL) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["--wait", try ClientBinary.path()] + arguments
        process.environment = ClientBinary.environment(home: home)
        process.currentDirectoryURL = home
        process.standardInput = input
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        for (pipe, box) in [(stdout, output), (stderr, errors)] {
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                if data.isEmpty {
                    handle.readabilityHandler = nil
                } else {
                    box.withLockedValue { $0 += String(decoding: data, as: UTF8.self) }
                }
            }
        }
        try process.run()
    }

    func type(_ line: String) {
        try? input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    var lines: [String] { output.withLockedValue { $0 }.split(separator: "\n").map(String.init) }
    var standardError: String { errors.withLockedValue { $0 } }

    /// Waits for a printed line satisfying `matches`.
    func waitForLine(
        timeout: Duration = .seconds(20), file: StaticString = #filePath, line: UInt = #line, _ matches: (String) -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if lines.contains(where: matches) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTFail("no such line; got:\n\(lines.joined(separator: "\n"))\nstderr: \(standardError)", file: file, line: line)
        throw ScriptClient.Timeout(description: "no such line")
    }

    /// Ends the input and waits (at most `timeout`) for the exit status.
    func finish(timeout: Duration = .seconds(30)) async throws -> Int32 {
        try? input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        // What was written just before the exit.
        try await Task.sleep(for: .milliseconds(100))
        return process.terminationStatus
    }
}
