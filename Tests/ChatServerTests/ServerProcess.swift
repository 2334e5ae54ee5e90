import ChatTestSupport
import Foundation
import NIOConcurrencyHelpers
import XCTest

/// The real `securechat-server` binary, running: its log (stderr) is collected as it
/// comes, so a test can wait for a line, send a signal, and wait for the next one.
final class ServerProcess: @unchecked Sendable {
    private let process: Process
    private let log: NIOLockedValueBox<String>
    /// Set once it listens (before `start` returns).
    private(set) var port: Int

    /// Starts the binary `executable` with `arguments` (plus `environment` over this
    /// process's own) and waits until it logs that it listens.
    static func start(
        _ arguments: [String],
        executable: String = "securechat-server",
        environment: [String: String] = [:],
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> ServerProcess {
        let process = Process()
        process.executableURL = try LifecycleTests.productsDirectory.appendingPathComponent(executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        let log = NIOLockedValueBox("")
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                log.withLockedValue { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        try process.run()
        let server = ServerProcess(process: process, log: log, port: 0)
        let listening = try await server.waitForLog("listening", file: file, line: line)
        let port = listening.firstMatch(of: /address=127\.0\.0\.1:(\d+)/).flatMap { Int($0.1) }
        server.port = try XCTUnwrap(port, listening, file: file, line: line)
        return server
    }

    private init(process: Process, log: NIOLockedValueBox<String>, port: Int) {
        self.process = process
        self.log = log
        self.port = port
    }

    /// A test that failed before stopping its server leaves no server behind.
    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Everything logged so far.
    var logged: String { log.withLockedValue { $0 } }

    /// Waits (at most `timeout`) until the log after offset `since` contains `text`;
    /// returns that part of the log.
    @discardableResult
    func waitForLog(
        _ text: String,
        since offset: Int = 0,
        timeout: Duration = .seconds(10),
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let seen = String(logged.dropFirst(offset))
            if seen.contains(text) || ContinuousClock.now >= deadline || !process.isRunning {
                XCTAssertTrue(seen.contains(text), "no '\(text)' in the log: \(seen)", file: file, line: line)
                return seen
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// SIGKILL, then waits: a crash, with no chance to finish anything.
    func crash() {
        signal(SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits; returns the exit status.
    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
