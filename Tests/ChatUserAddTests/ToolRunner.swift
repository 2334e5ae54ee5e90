import ChatTestSupport
import Foundation
import XCTest

/// What one run of the real `chat-useradd` binary produced.
struct ToolResult {
    let status: Int32
    let stdout: String
    let stderr: String

    var stdoutLines: [Substring] { stdout.split(separator: "\n") }
}

/// Runs the built `chat-useradd` as a child process, the way an administrator does.
enum ToolRunner {
    static func executable() throws -> URL {
        URL(fileURLWithPath: try BuiltProducts.path(of: "chat-useradd"))
    }

    struct MissingExecutable: Error, CustomStringConvertible {
        let searchedFrom: String
        var description: String { "chat-useradd binary not found near \(searchedFrom)" }
    }

    /// - Parameters:
    ///   - stdin: bytes for the child's standard input, which is closed after them.
    ///   - withoutTerminal: runs the child in a new session (setsid), so it has no
    ///     controlling terminal even when the tests run in one.
    ///   - environment: added to this process's environment, which never passes on
    ///     its own `SECURECHAT_DATABASE`.
    ///   - tool: another copy of the binary (for the default database's rule).
    static func run(
        _ arguments: [String],
        stdin: Data = Data(),
        in directory: URL? = nil,
        withoutTerminal: Bool = false,
        environment: [String: String] = [:],
        tool: URL? = nil,
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> ToolResult {
        let tool = try tool ?? executable()
        let process = Process()
        var inherited = ProcessInfo.processInfo.environment
        inherited["SECURECHAT_DATABASE"] = nil
        process.environment = inherited.merging(environment) { $1 }
        if withoutTerminal {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
            process.arguments = ["--wait", tool.path] + arguments
        } else {
            process.executableURL = tool
            process.arguments = arguments
        }
        if let directory {
            process.currentDirectoryURL = directory
        }

        // The input is written and closed before the child starts: it fits in the
        // pipe buffer, and a child that exits without reading cannot SIGPIPE us.
        let input = Pipe()
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors

        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ToolResult(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }

}

/// Asserts a refusal: the given exit status and exactly one stderr line that starts
/// with the program name and contains `reason`.
func assertRefused(
    _ result: ToolResult,
    status: Int32 = 1,
    containing reason: String,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    XCTAssertEqual(result.status, status, "exit status; stderr: \(result.stderr)", file: file, line: line)
    XCTAssertEqual(result.stdout, "", "nothing on stdout", file: file, line: line)
    XCTAssertTrue(result.stderr.hasPrefix("chat-useradd: "), result.stderr, file: file, line: line)
    XCTAssertTrue(result.stderr.hasSuffix("\n"), result.stderr, file: file, line: line)
    XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, "one line: \(result.stderr)", file: file, line: line)
    XCTAssertTrue(result.stderr.contains(reason), "\(result.stderr) lacks \(reason)", file: file, line: line)
}
