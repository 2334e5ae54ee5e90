import ChatClient
import ChatCrypto
import ChatTestSupport
import ChatTLS
import Foundation
import XCTest

/// How the client decides to trust the server: CA and name by default, a pin once
/// the person chose trust on first use, and loud refusals otherwise.
final class ServerCertificateTests: XCTestCase {
    func testAServerSignedByAnotherCAIsRefusedWithItsFingerprintAndAWayForward() async throws {
        let server = try await startServer()
        let otherCA = try TestCertificates.make()
        defer { otherCA.remove() }
        let fingerprint = SHA256.colonHex(try await server.certificateSHA256())

        let client = try ScriptClient(server: server, user: "alice", trustRootsPath: otherCA.caPath)
        await client.assertExit(1)
        XCTAssertEqual(client.errors.all.count, 1, "\(client.errors.all)")
        let reason = client.errors.all.first ?? ""
        XCTAssertTrue(reason.hasPrefix("refusing 127.0.0.1:\(server.port): its certificate is not trusted"), reason)
        XCTAssertTrue(reason.contains(fingerprint), reason)
        XCTAssertTrue(reason.contains("--trust-on-first-use"), reason)
        XCTAssertTrue(client.output.all.isEmpty)
        // Nothing was pinned and nobody logged in.
        XCTAssertFalse(FileManager.default.fileExists(atPath: client.config.knownServers.path))
        XCTAssertFalse(server.logs.joined.contains("login succeeded"), server.logs.joined)
    }

    func testTrustOnFirstUsePinsTheCertificateAndThePinIsEnforced() async throws {
        let first = try await startServer()
        let port = first.port
        let unrelatedCA = try TestCertificates.make()
        defer { unrelatedCA.remove() }
        let config = try ConfigDirectory(url: makeTemporaryDirectory())
        let fingerprint = try await first.certificateSHA256()

        // First contact: the CA does not vouch for it, the person opted in.
        let tofu = try ScriptClient(server: first, user: "alice", config: config, trustRootsPath: unrelatedCA.caPath, trustOnFirstUse: true)
        try await tofu.waitForLine { $0.hasPrefix("NOTICE trusted 127.0.0.1:\(port) on first use") }
        await tofu.assertExit(0)
        let known = try String(contentsOf: config.knownServers, encoding: .utf8)
        XCTAssertTrue(known.contains("127.0.0.1:\(port) sha256 \(SHA256.colonHex(fingerprint))\n"), known)
        XCTAssertEqual(try KnownServers(file: config.knownServers).pin(for: ServerEndpoint(host: "127.0.0.1", port: port)), fingerprint)
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(config.knownServers))

        // Later contacts: the pin alone is enough, without the flag.
        let pinned = try ScriptClient(server: first, user: "alice", config: config, trustRootsPath: unrelatedCA.caPath)
        try await pinned.sync()
        await pinned.assertExit(0)

        // Another certificate at the same address that the CA does not vouch for:
        // refused loudly, even with --trust-on-first-use.
        await first.stop()
        let impostor = try await startServer(port: port)
        let refused = try ScriptClient(
            server: impostor, user: "alice", config: config, trustRootsPath: unrelatedCA.caPath, trustOnFirstUse: true)
        await refused.assertExit(1)
        let reason = refused.errors.all.joined()
        XCTAssertTrue(reason.hasPrefix("REFUSED: the certificate of 127.0.0.1:\(port) has CHANGED"), reason)
        XCTAssertTrue(reason.contains(SHA256.colonHex(fingerprint)), reason)
        let presented = SHA256.colonHex(try await impostor.certificateSHA256())
        XCTAssertTrue(reason.contains(presented), reason)
        XCTAssertTrue(reason.contains("line 2 of \(config.knownServers.path)"), reason)
        XCTAssertFalse(impostor.logs.joined.contains("login succeeded"))
        XCTAssertEqual(try String(contentsOf: config.knownServers, encoding: .utf8), known, "the pin is never replaced silently")
    }

    func testAPinnedServerIsAcceptedWithoutAnyMatchingCA() async throws {
        let server = try await startServer()
        let config = try ConfigDirectory(url: makeTemporaryDirectory())
        try KnownServers(file: config.knownServers).add(try await server.certificateSHA256(), for: ServerEndpoint(host: "127.0.0.1", port: server.port))
        let otherCA = try TestCertificates.make()
        defer { otherCA.remove() }
        let client = try ScriptClient(server: server, user: "bob", config: config, trustRootsPath: otherCA.caPath)
        try await client.sync()
        await client.assertExit(0)
    }

    // MARK: The ChatTLS policies underneath

    func testPolicyCertificateAuthorityIsTheDefaultCheckAndReportsWhatWasRefused() async throws {
        let server = try await startServer()
        let otherCA = try TestCertificates.make()
        defer { otherCA.remove() }

        let good = try TLSContext.client(trustRootsPath: server.certificates.caPath, policy: .certificateAuthority)
        let connection = try await TestLineClient.connect(port: server.port, context: good, group: ServerHarness.clientGroup)
        XCTAssertEqual(connection.session.serverCertificate?.chainVerified, true)
        XCTAssertEqual(connection.session.serverCertificate?.der, connection.session.peerCertificateDER)
        await connection.close()

        // The name is checked too: the certificate is for localhost/127.0.0.1/::1 only.
        let wrongName = try TLSContext.client(trustRootsPath: server.certificates.caPath, policy: .certificateAuthority)
        let wrongNameError = await XCTAssertThrowsTLSError(
            try await TestLineClient.connect(
                port: server.port, serverName: "chat.example.org", context: wrongName, group: ServerHarness.clientGroup
            ))
        XCTAssertEqual(wrongNameError?.serverCertificate?.chainProblem, "hostname mismatch")

        let wrongCA = try TLSContext.client(trustRootsPath: otherCA.caPath, policy: .certificateAuthority)
        let wrongCAError = await XCTAssertThrowsTLSError(
            try await TestLineClient.connect(port: server.port, context: wrongCA, group: ServerHarness.clientGroup))
        XCTAssertNotNil(wrongCAError?.serverCertificate?.chainProblem)
    }

    func testPolicyPinnedAcceptsOnlyThePinnedCertificate() async throws {
        let server = try await startServer()
        let otherCA = try TestCertificates.make()
        defer { otherCA.remove() }
        let pin = try await server.certificateSHA256()

        let matching = try TLSContext.client(trustRootsPath: otherCA.caPath, policy: .pinned(sha256: pin))
        let connection = try await TestLineClient.connect(port: server.port, context: matching, group: ServerHarness.clientGroup)
        try await connection.expectLine { $0.hasPrefix("HELLO ") }
        XCTAssertEqual(connection.session.serverCertificate?.chainVerified, false)
        await connection.close()

        var wrongPin = pin
        wrongPin[0] ^= 0xFF
        // Even a chain the CA vouches for is refused when the pin differs.
        let mismatch = try TLSContext.client(trustRootsPath: server.certificates.caPath, policy: .pinned(sha256: wrongPin))
        let mismatchError = await XCTAssertThrowsTLSError(
            try await TestLineClient.connect(port: server.port, context: mismatch, group: ServerHarness.clientGroup))
        XCTAssertEqual(mismatchError?.serverCertificate?.sha256, pin)
        XCTAssertEqual(mismatchError?.serverCertificate?.chainVerified, true)
    }

    func testPolicyAcceptAnyReportsTheChainVerdict() async throws {
        let server = try await startServer()
        let otherCA = try TestCertificates.make()
        defer { otherCA.remove() }
        let context = try TLSContext.client(trustRootsPath: otherCA.caPath, policy: .acceptAnyForFirstUse)
        let connection = try await TestLineClient.connect(port: server.port, context: context, group: ServerHarness.clientGroup)
        await connection.close()
        let presented = try XCTUnwrap(connection.session.serverCertificate)
        XCTAssertFalse(presented.chainVerified)
        let expected = try await server.certificateSHA256()
        XCTAssertEqual(presented.sha256, expected)
    }

    func testTheSystemRootsAreUsedWhenNoCAFileIsGiven() async throws {
        let server = try await startServer()
        let context = try TLSContext.client(trustRootsPath: nil, policy: .certificateAuthority)
        let error = await XCTAssertThrowsTLSError(try await TestLineClient.connect(port: server.port, context: context, group: ServerHarness.clientGroup))
        XCTAssertNotNil(error?.serverCertificate?.chainProblem)
    }
}

/// Returns the handshake failure, for a look at what the server presented.
@discardableResult
func XCTAssertThrowsTLSError<T>(
    _ expression: @autoclosure () async throws -> T,
    file: StaticString = #filePath,
    line: UInt = #line
) async -> TLSError? {
    do {
        _ = try await expression()
        XCTFail("expected a TLS error", file: file, line: line)
    } catch let error as TLSError {
        XCTAssertEqual(error.kind, .handshakeFailed, "\(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected a TLS error, got \(error)", file: file, line: line)
    }
    return nil
}

enum PrivateFileMode {
    static func isGroupOrOtherAccessible(_ url: URL) -> Bool {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        return mode & 0o077 != 0
    }
}
