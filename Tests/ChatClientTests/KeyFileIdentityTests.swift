import ChatClient
import ChatTLS
import ChatTestSupport
import Foundation
import XCTest

/// The end-to-end key belongs to the account on a server, not to the address typed
/// to reach it: the real `securechat` binary logs in through `127.0.0.1`, then
/// `localhost` (one certificate covers both), then another port, then after a
/// renewal with a new key, and the account keeps the key it published first.
final class KeyFileIdentityTests: XCTestCase {
    private func logIn(
        _ server: ServerHarness, host: String, port: Int? = nil, caPath: String? = nil, home: URL,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws -> [String] {
        let result = try await ClientBinary.runScript(
            [
                "--host", host, "--port", "\(port ?? server.port)", "--ca", caPath ?? server.certificates.caPath, "--user", "alice",
                "--password-stdin",
            ],
            input: [.line(ServerHarness.password(of: "alice"), pause: .zero), .line("/ping done", pause: .zero)],
            home: home
        )
        XCTAssertEqual(result.status, 0, result.standardError, file: file, line: line)
        XCTAssertEqual(result.standardError, "", file: file, line: line)
        XCTAssertTrue(result.standardOutput.contains("PONG done"), result.standardOutput, file: file, line: line)
        return result.standardOutput.split(separator: "\n").map(String.init)
    }

    /// What every contact sees: the key the server hands out for alice.
    private func publishedKey(_ server: ServerHarness, caPath: String? = nil) async throws -> String {
        let context = try TLSContext.client(trustRootsPath: caPath ?? server.certificates.caPath)
        let bob = try await TestLineClient.connect(port: server.port, context: context, group: ServerHarness.clientGroup)
        defer { Task { await bob.close() } }
        _ = try await bob.nextLine()  // HELLO
        try await bob.send("/login bob \(ServerHarness.password(of: "bob"))")
        try await bob.expectLine("OK login bob")
        try await bob.send("/key get alice")
        let line = try await bob.nextLine() ?? ""
        XCTAssertTrue(line.hasPrefix("KEY alice "), line)
        return line
    }

    /// Neither a new key nor a republished one, and nothing to warn about.
    private func assertKeptTheKey(_ lines: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(lines.contains { $0.contains("made your end-to-end key") }, "\(lines)", file: file, line: line)
        XCTAssertFalse(lines.contains { $0.contains("published your end-to-end public key") }, "\(lines)", file: file, line: line)
        XCTAssertFalse(lines.contains { $0.hasPrefix("WARNING") }, "\(lines)", file: file, line: line)
    }

    private func keyFiles(_ home: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent(".config/securechat/keys").path).sorted()
    }

    func testAnotherHostSpellingAndAnotherPortKeepTheAccountsKey() async throws {
        let first = try await startServer()
        let home = try makeTemporaryDirectory()
        let made = try await logIn(first, host: "127.0.0.1", home: home)
        XCTAssertTrue(made.contains { $0.hasPrefix("NOTICE made your end-to-end key") }, "\(made)")
        let key = try await publishedKey(first)
        let files = try keyFiles(home)
        XCTAssertEqual(files.count, 1, "\(files)")

        let viaLocalhost = try await logIn(first, host: "localhost", home: home)
        assertKeptTheKey(viaLocalhost)
        let keyViaLocalhost = try await publishedKey(first)
        XCTAssertEqual(keyViaLocalhost, key)
        XCTAssertEqual(try keyFiles(home), files)

        // The same database and certificate served on another port.
        await first.server.stop()
        let moved = try await ServerHarness.start(for: self, users: []) { configuration in
            configuration.databasePath = first.databasePath
            configuration.certificateChainPath = first.certificates.chainPath
            configuration.privateKeyPath = first.certificates.keyPath
        }
        XCTAssertNotEqual(moved.port, first.port)
        let viaOtherPort = try await logIn(moved, host: "localhost", port: moved.port, caPath: first.certificates.caPath, home: home)
        assertKeptTheKey(viaOtherPort)
        let keyViaOtherPort = try await publishedKey(moved, caPath: first.certificates.caPath)
        XCTAssertEqual(keyViaOtherPort, key)
        XCTAssertEqual(try keyFiles(home), files)
    }

    /// A renewal that brings a new key pair (certbot's default) is recognised by the
    /// address the server was reached at before.
    func testARenewalWithANewKeyKeepsTheAccountsKey() async throws {
        let first = try await startServer()
        let port = first.port
        let home = try makeTemporaryDirectory()
        _ = try await logIn(first, host: "127.0.0.1", home: home)
        let key = try await publishedKey(first)
        let files = try keyFiles(home)
        let kept = try makeTemporaryDirectory()
        let caPath = kept.appendingPathComponent("ca.pem").path
        try FileManager.default.copyItem(atPath: first.certificates.caPath, toPath: caPath)
        let renewed = try RenewedLeaf.issue(from: first.certificates, into: kept)

        await first.server.stop()
        let second = try await ServerHarness.start(for: self, users: []) { configuration in
            configuration.port = port
            configuration.databasePath = first.databasePath
            configuration.certificateChainPath = renewed.chainPath
            configuration.privateKeyPath = renewed.keyPath
        }
        let afterRenewal = try await logIn(second, host: "127.0.0.1", caPath: caPath, home: home)
        assertKeptTheKey(afterRenewal)
        let keyAfterRenewal = try await publishedKey(second, caPath: caPath)
        XCTAssertEqual(keyAfterRenewal, key)
        XCTAssertEqual(try keyFiles(home), files)
        // And from then on the new key is known at the other spelling too.
        let renewedViaLocalhost = try await logIn(second, host: "localhost", caPath: caPath, home: home)
        assertKeptTheKey(renewedViaLocalhost)
    }

    /// A key file named the earlier way, by the address typed, is moved to the new
    /// name (still 0600) and keeps the account's key.
    func testTheLegacyFileOfTheAddressUsedIsMoved() async throws {
        let server = try await startServer()
        let home = try makeTemporaryDirectory()
        _ = try await logIn(server, host: "127.0.0.1", home: home)
        let key = try await publishedKey(server)
        let config = home.appendingPathComponent(".config/securechat")
        let keys = config.appendingPathComponent("keys")
        let name = try XCTUnwrap(try keyFiles(home).first)
        let legacy = keys.appendingPathComponent("alice@127.0.0.1_\(server.port).key")
        try FileManager.default.moveItem(at: keys.appendingPathComponent(name), to: legacy)
        try FileManager.default.removeItem(at: config.appendingPathComponent("server-ids"))

        let lines = try await logIn(server, host: "127.0.0.1", home: home)
        XCTAssertTrue(lines.contains { $0.hasPrefix("NOTICE moved your key file to \(keys.appendingPathComponent(name).path)") }, "\(lines)")
        assertKeptTheKey(lines)
        XCTAssertEqual(try keyFiles(home), [name])
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(keys.appendingPathComponent(name)))
        let keyAfterMove = try await publishedKey(server)
        XCTAssertEqual(keyAfterMove, key)
    }
}
