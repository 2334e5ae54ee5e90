import ChatServer
import ChatTestSupport
import Foundation
import Logging
import XCTest

/// Certificate reload and the startup checks on secret files.
final class OperationsTests: XCTestCase {
    func testReloadServesTheNewCertificateAndKeepsSessions() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let before = try await harness.connect()
        let oldCertificate = before.session.peerCertificateDER
        await before.close()

        // Renew: a new key and certificate from the same CA, written over the old files.
        let renewed = try TestCertificates.make()
        try replace(harness.certificates.chainPath, with: renewed.chainPath)
        try replace(harness.certificates.keyPath, with: renewed.keyPath)
        try replace(harness.certificates.caPath, with: renewed.caPath)
        XCTAssertTrue(harness.server.reloadCertificates())

        let after = try await TestLineClient.connect(
            port: harness.port,
            context: try .client(trustRootsPath: renewed.caPath),
            group: ServerHarness.clientGroup
        )
        XCTAssertNotEqual(after.session.peerCertificateDER, oldCertificate)
        // The session from before the reload is untouched.
        try await expectNothingPending(alice)
        await after.close()
        await alice.close()
        renewed.remove()
    }

    func testBrokenRenewalIsRefusedAndTheOldCertificateStays() async throws {
        let harness = try await ServerHarness.start(for: self)
        let other = try TestCertificates.make()
        // A key that does not match the certificate.
        try replace(harness.certificates.keyPath, with: other.keyPath)
        XCTAssertFalse(harness.server.reloadCertificates())
        XCTAssertTrue(harness.logs.joined.contains("certificate reload refused"))
        // New connections still get the old, working pair.
        let client = try await harness.connect()
        await client.close()
        // A truncated certificate file is refused the same way.
        let truncated = harness.directory.appendingPathComponent("truncated.pem")
        try Data("-----BEGIN CERTIFICATE-----\nAAAA\n".utf8).write(to: truncated)
        try replace(harness.certificates.chainPath, with: truncated.path)
        XCTAssertFalse(harness.server.reloadCertificates())
        let again = try await harness.connect()
        await again.close()
        other.remove()
    }

    func testPrivateKeyReadableByOthersOrSymlinkedIsRefused() async throws {
        let certificates = try TestCertificates.make()
        let directory = try makeTemporaryDirectory()
        var configuration = ServerHarness.testConfiguration(certificates, directory)
        let logger = Logger(label: "test")

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: certificates.keyPath)
        XCTAssertThrowsError(try ChatServer(configuration: configuration, logger: logger)) { error in
            XCTAssertEqual(
                "\(error)",
                "refusing private key \(certificates.keyPath): group or others can access it (mode 644); fix with: chmod 600 \(certificates.keyPath)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: certificates.keyPath)

        let link = directory.appendingPathComponent("key-link.pem").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: certificates.keyPath)
        configuration.privateKeyPath = link
        XCTAssertThrowsError(try ChatServer(configuration: configuration, logger: logger)) { error in
            XCTAssertTrue("\(error)".contains("symbolic link"), "\(error)")
        }
        configuration.allowSymlinkedSecrets = true
        let server = try ChatServer(configuration: configuration, logger: logger)
        await server.stop()

        // The database is a secret file too.
        try FileManager.default.setAttributes([.posixPermissions: 0o664], ofItemAtPath: configuration.databasePath)
        XCTAssertThrowsError(try ChatServer(configuration: configuration, logger: logger)) { error in
            XCTAssertTrue("\(error)".hasPrefix("refusing user database"), "\(error)")
        }
        certificates.remove()
        try? FileManager.default.removeItem(at: directory)
    }

    func testCertificateNearExpiryIsWarnedAbout() async throws {
        let soon = try TestCertificates.make(days: 10)
        let harness = try await ServerHarness.start(for: self) {
            $0.certificateChainPath = soon.chainPath
            $0.privateKeyPath = soon.keyPath
        }
        XCTAssertTrue(harness.logs.joined.contains("the TLS certificate expires soon"), harness.logs.joined)
        XCTAssertTrue(harness.logs.joined.contains("daysLeft=9") || harness.logs.joined.contains("daysLeft=10"))
        soon.remove()
    }

    /// Overwrites in place, as `cp` would, so the file keeps its 0600 mode.
    private func replace(_ path: String, with source: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: source))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: data)
        try handle.close()
    }
}
