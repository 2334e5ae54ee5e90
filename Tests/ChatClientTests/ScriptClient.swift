import ChatClient
import ChatTestSupport
import ChatCrypto
import Foundation
import NIOConcurrencyHelpers
import XCTest

/// The client's script mode run in-process (`ChatClientApp.runScript`): lines typed
/// in, printed lines collected. Each person gets a config directory of their own,
/// as on separate machines.
final class ScriptClient: Sendable {
    let output = CollectedLines()
    let errors = CollectedLines()
    let config: ConfigDirectory
    private let input: AsyncStream<String>.Continuation
    private let task: Task<Int32, Never>

    struct Timeout: Error, CustomStringConvertible {
        let description: String
    }

    init(
        server: ServerHarness,
        user: String,
        password: String? = nil,
        config: ConfigDirectory? = nil,
        trustRootsPath: String? = nil,
        trustOnFirstUse: Bool = false
    ) throws {
        let config = try config ?? ConfigDirectory(url: TemporaryDirectory.make())
        self.config = config
        var options = ClientOptions()
        options.port = server.port
        options.user = user
        options.trustRootsPath = trustRootsPath ?? server.certificates.caPath
        options.trustOnFirstUse = trustOnFirstUse
        options.configDirectory = config
        options.keyFileCost = .minimum
        let (lines, input) = AsyncStream<String>.makeStream()
        self.input = input
        let output = self.output
        let errors = self.errors
        let password = password ?? ServerHarness.password(of: user)
        task = Task {
            await ChatClientApp.runScript(
                options, password: password, group: ServerHarness.clientGroup, input: lines,
                output: { output.append($0) }, errorOutput: { errors.append($0) }
            )
        }
    }

    func type(_ lines: String...) {
        for line in lines { input.yield(line) }
    }

    /// Ends the input; returns the exit status once the client is done.
    func finish() async -> Int32 {
        input.finish()
        return await task.value
    }

    /// Waits for a printed line satisfying `matches` (seen now or later).
    @discardableResult
    func waitForLine(
        timeout: Duration = .seconds(15),
        file: StaticString = #filePath,
        line: UInt = #line,
        _ matches: @escaping (String) -> Bool
    ) async throws -> String {
        if let found = try await output.wait(timeout: timeout, matches) { return found }
        XCTFail("no such line; got:\n\(output.all.joined(separator: "\n"))\nerrors: \(errors.all)", file: file, line: line)
        throw Timeout(description: "timed out")
    }

    func waitForLine(_ exact: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        try await waitForLine(file: file, line: line) { $0 == exact }
    }

    /// Waits until this client has published its key (so others can DM it).
    func waitUntilReady(file: StaticString = #filePath, line: UInt = #line) async throws {
        try await waitForLine(file: file, line: line) { $0.hasPrefix("NOTICE published your end-to-end public key") }
    }

    /// Types a ping and waits for its answer: everything typed before was answered.
    func sync(file: StaticString = #filePath, line: UInt = #line) async throws {
        let token = "sync-\(UInt32.random(in: 0 ... .max))"
        type("/ping \(token)")
        try await waitForLine("PONG \(token)", file: file, line: line)
    }
}

/// Lines collected from another task, waited for by polling.
final class CollectedLines: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    func append(_ line: String) {
        lines.withLockedValue { $0.append(line) }
    }

    var all: [String] {
        lines.withLockedValue { $0 }
    }

    func wait(timeout: Duration, _ matches: (String) -> Bool) async throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = all.first(where: matches) { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        return all.first(where: matches)
    }
}

extension ScriptClient {
    /// Ends the input and checks the exit status (showing what went to stderr).
    func assertExit(_ expected: Int32, file: StaticString = #filePath, line: UInt = #line) async {
        let status = await finish()
        XCTAssertEqual(status, expected, "stderr: \(errors.all)", file: file, line: line)
    }
}

extension TestLineClient {
    /// Reads the next line and checks it.
    func expectLine(_ expected: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        let got = try await nextLine()
        XCTAssertEqual(got, expected, file: file, line: line)
    }

    func expectLine(file: StaticString = #filePath, line: UInt = #line, _ matches: (String) -> Bool) async throws {
        let got = try await nextLine()
        XCTAssertTrue(got.map(matches) ?? false, "got \(got ?? "nil")", file: file, line: line)
    }
}
