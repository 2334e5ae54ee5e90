import ChatClient
import ChatCrypto
import ChatTestSupport
import Foundation
import XCTest

/// A pinned server that renews its certificate from a CA the client trusts is
/// accepted and re-pinned, with one line; anything neither the pin nor the CA vouches
/// for is still refused and leaves the pin alone.
final class CertificateRenewalTests: XCTestCase {
    func testARenewalFromTheTrustedCAIsAcceptedAndThePinUpdated() async throws {
        let first = try await startServer()
        let port = first.port
        let server = ServerEndpoint(host: "127.0.0.1", port: port)
        let config = try ConfigDirectory(url: makeTemporaryDirectory())
        let oldPin = try await first.certificateSHA256()
        try KnownServers(file: config.knownServers).add(oldPin, for: server)
        // The CA outlives the first server (whose files go when it stops).
        let kept = try makeTemporaryDirectory()
        let caPath = kept.appendingPathComponent("ca.pem").path
        try FileManager.default.copyItem(atPath: first.certificates.caPath, toPath: caPath)
        let renewed = try RenewedLeaf.issue(from: first.certificates, into: kept)

        await first.stop()
        let second = try await startServer(port: port, chainPath: renewed.chainPath, keyPath: renewed.keyPath)
        let newPin = renewed.sha256
        XCTAssertNotEqual(newPin, oldPin)

        let client = try ScriptClient(server: second, user: "alice", config: config, trustRootsPath: caPath)
        let note = try await client.waitForLine { $0.hasPrefix("NOTICE 127.0.0.1:\(port) presented a new certificate") }
        XCTAssertEqual(
            note,
            "NOTICE 127.0.0.1:\(port) presented a new certificate (SHA-256 \(SHA256.colonHex(newPin))) that the CA in \(caPath) vouches for; pin updated in \(config.knownServers.path) (was SHA-256 \(SHA256.colonHex(oldPin)))"
        )
        try await client.sync()
        await client.assertExit(0)
        XCTAssertTrue(client.errors.all.isEmpty, "\(client.errors.all)")
        XCTAssertEqual(try KnownServers(file: config.knownServers).pin(for: server), newPin)
        let known = try String(contentsOf: config.knownServers, encoding: .utf8)
        XCTAssertTrue(known.hasPrefix("#"), known)
        XCTAssertFalse(known.contains(SHA256.colonHex(oldPin)), known)
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(config.knownServers))

        // The next connection matches the new pin: no note.
        let again = try ScriptClient(server: second, user: "alice", config: config, trustRootsPath: caPath)
        try await again.sync()
        await again.assertExit(0)
        XCTAssertFalse(again.output.all.contains { $0.contains("presented a new certificate") }, "\(again.output.all)")
    }

    func testACertificateFromAnotherCAIsRefusedAndThePinKept() async throws {
        let first = try await startServer()
        let port = first.port
        let config = try ConfigDirectory(url: makeTemporaryDirectory())
        let oldPin = try await first.certificateSHA256()
        try KnownServers(file: config.knownServers).add(oldPin, for: ServerEndpoint(host: "127.0.0.1", port: port))
        let kept = try makeTemporaryDirectory()
        let caPath = kept.appendingPathComponent("ca.pem").path
        try FileManager.default.copyItem(atPath: first.certificates.caPath, toPath: caPath)
        let before = try String(contentsOf: config.knownServers, encoding: .utf8)

        await first.stop()
        let other = try await startServer(port: port)  // a new CA of its own
        let presented = SHA256.colonHex(try await other.certificateSHA256())
        let client = try ScriptClient(server: other, user: "alice", config: config, trustRootsPath: caPath)
        await client.assertExit(1)
        let reason = client.errors.all.joined()
        XCTAssertTrue(reason.hasPrefix("REFUSED: the certificate of 127.0.0.1:\(port) has CHANGED"), reason)
        XCTAssertTrue(reason.contains(presented), reason)
        XCTAssertTrue(reason.contains("the CA in \(caPath) does not vouch for it"), reason)
        XCTAssertTrue(client.output.all.isEmpty, "\(client.output.all)")
        XCTAssertFalse(other.logs.joined.contains("login succeeded"))
        XCTAssertEqual(try String(contentsOf: config.knownServers, encoding: .utf8), before)
    }
}

/// A second server certificate from an existing test CA, as a renewal would make,
/// with the openssl CLI (Scripts/make-dev-certs always makes a new CA).
enum RenewedLeaf {
    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    struct Paths {
        let chainPath: String
        let keyPath: String
        /// The leaf's SHA-256, what a pin holds.
        let sha256: [UInt8]
    }

    static func issue(from ca: TestCertificates, into directory: URL) throws -> Paths {
        let caKey = ca.directory.appendingPathComponent("ca-key.pem").path
        let key = directory.appendingPathComponent("renewed-key.pem").path
        let chain = directory.appendingPathComponent("renewed.pem").path
        let script = """
            set -euo pipefail
            cd "$1"
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$4" 2>/dev/null
            openssl req -new -key "$4" -subj "/CN=localhost" -out renewed.csr
            printf '%s\\n' 'basicConstraints=critical,CA:FALSE' \
              'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
              'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1' > renewed.ext
            openssl x509 -req -in renewed.csr -CA "$2" -CAkey "$3" -CAcreateserial -CAserial renewed.srl \
              -days 30 -sha256 -extfile renewed.ext -out renewed-leaf.pem 2>/dev/null
            cat renewed-leaf.pem "$2" > "$5"
            openssl x509 -in renewed-leaf.pem -noout -fingerprint -sha256 | cut -d= -f2 > renewed.sha256
            """
        let (status, text) = try TestCertificates.runBash(["-c", script, "renew", directory.path, ca.caPath, caKey, key, chain])
        guard status == 0 else {
            throw Failed(description: "issuing a renewed leaf failed: \(text)")
        }
        let fingerprint = try String(contentsOf: directory.appendingPathComponent("renewed.sha256"), encoding: .utf8)
        guard let sha256 = SHA256.parseColonHex(fingerprint.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failed(description: "unreadable fingerprint: \(fingerprint)")
        }
        return Paths(chainPath: chain, keyPath: key, sha256: sha256)
    }
}

extension XCTestCase {
    /// The live test server at `port`, serving the given certificate and key.
    func startServer(port: Int, chainPath: String, keyPath: String) async throws -> ServerHarness {
        try await ServerHarness.start(for: self) { configuration in
            configuration.port = port
            configuration.linesPerSecond = 0
            configuration.certificateChainPath = chainPath
            configuration.privateKeyPath = keyPath
        }
    }
}
