import Foundation

/// A development CA and a server certificate in a fresh temporary directory, made by
/// the project's own `Scripts/make-dev-certs` with the real `openssl` CLI.
public struct TestCertificates: Sendable {
    public let directory: URL
    public var caPath: String { directory.appendingPathComponent("ca.pem").path }
    public var chainPath: String { directory.appendingPathComponent("server.pem").path }
    public var keyPath: String { directory.appendingPathComponent("server-key.pem").path }

    public struct ScriptFailed: Error, CustomStringConvertible {
        public let description: String
    }

    /// The repository root, found from this file's location.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ChatTestSupport
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()

    public static func make(rsa: Bool = false, days: Int? = nil) throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("securechat-certs-\(UUID().uuidString)")
        let script = repositoryRoot.appendingPathComponent("Scripts/make-dev-certs").path
        let (status, text) = try runBash([script] + (rsa ? ["--rsa"] : []) + (days.map { ["--days", String($0)] } ?? []) + [directory.path])
        guard status == 0 else {
            throw ScriptFailed(description: "make-dev-certs failed: \(text)")
        }
        return TestCertificates(directory: directory)
    }

    /// Runs bash with `arguments` (a script file or `-c SCRIPT …`) to completion and
    /// returns its status and everything it printed, both streams together. For short
    /// certificate work only: it blocks the calling thread.
    public static func runBash(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
