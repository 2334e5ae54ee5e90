import ChatTestSupport
import Foundation
import XCTest

/// Where the real `securechat` binary takes its CA from when `--ca` is not given: the
/// config directory or the system, never the directory it happens to run in, which
/// anyone who can leave a file there (a shared folder, a cloned repository) controls.
final class CAFileLocationTests: XCTestCase {
    private func arguments(_ server: ServerHarness, extra: [String] = []) -> [String] {
        ["--port", "\(server.port)", "--user", "alice", "--password-stdin"] + extra
    }

    private func input() -> [ChildProcess.Input] {
        [.line(ServerHarness.password(of: "alice"), pause: .zero), .line("/ping through", pause: .zero)]
    }

    private func place(_ caPath: String, at file: URL) throws {
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
        )
        try FileManager.default.copyItem(atPath: caPath, toPath: file.path)
    }

    func testACAFileInTheWorkingDirectoryIsNotTrustedAndThePasswordIsNotSent() async throws {
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        // As if an attacker left their CA (here: the one that signed this server) where the client runs.
        let workingDirectory = try makeTemporaryDirectory()
        try place(server.certificates.caPath, at: workingDirectory.appendingPathComponent("certs/ca.pem"))

        let result = try await ClientBinary.runScript(arguments(server), input: input(), home: home, currentDirectory: workingDirectory)
        XCTAssertEqual(result.status, 1, result.standardOutput)
        XCTAssertTrue(
            result.standardError.hasPrefix("securechat: refusing 127.0.0.1:\(server.port): its certificate is not trusted by the system's CAs"),
            result.standardError
        )
        XCTAssertEqual(result.standardOutput, "")
        let logs = server.logs.joined
        XCTAssertFalse(logs.contains("login succeeded") || logs.contains("login failed"), logs)
    }

    func testACAFileInTheConfigDirectoryIsTrustedAndCAOverridesIt() async throws {
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        let configCA = home.appendingPathComponent(".config/securechat/ca.pem")
        try place(server.certificates.caPath, at: configCA)

        let trusted = try await ClientBinary.runScript(arguments(server), input: input(), home: home)
        XCTAssertEqual(trusted.status, 0, trusted.standardError)
        XCTAssertTrue(trusted.standardOutput.contains("PONG through\n"), trusted.standardOutput)

        // An explicit --ca is the one used, whatever the config directory holds.
        let otherCA = try TestCertificates.make()
        defer { otherCA.remove() }
        let refused = try await ClientBinary.runScript(arguments(server, extra: ["--ca", otherCA.caPath]), input: input(), home: home)
        XCTAssertEqual(refused.status, 1, refused.standardOutput)
        XCTAssertTrue(refused.standardError.contains("not trusted by the CA in \(otherCA.caPath)"), refused.standardError)
    }
}
