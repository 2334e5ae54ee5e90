import ChatTestSupport
import Foundation
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
