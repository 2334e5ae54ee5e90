import ChatTestSupport
import ChatTLS
import NIOCore
import NIOEmbedded
import XCTest

/// The client's checks of the server (chain and name), and contexts that must refuse
/// to be built from bad files.
final class TLSVerificationTests: XCTestCase {
    // MARK: Chain and name

    func testClientRefusesAServerSignedByAnotherCA() throws {
        let certificates = try makeCertificates()
        let stranger = try makeCertificates()
        let pair = try EmbeddedTLSPair(
            serverContext: makeServerContext(certificates),
            clientContext: makeClientContext(trusting: stranger)
        )
        defer { pair.finish() }
        try pair.connect()
        try pair.exchange()

        let error = try XCTUnwrap(pair.clientRecorder.errors.first as? TLSError, "\(pair.clientRecorder.errors)")
        XCTAssertEqual(error.kind, .handshakeFailed)
        XCTAssertTrue(error.diagnostics.contains("certificate verify failed"), error.diagnostics)
        XCTAssertTrue(pair.clientRecorder.sessions.isEmpty)
        XCTAssertFalse(pair.client.isActive)
        // The server hears the client's alert and gives up too.
        XCTAssertTrue(pair.serverRecorder.sessions.isEmpty)
        XCTAssertEqual(pair.serverRecorder.tlsErrorKinds, [.handshakeFailed])
        XCTAssertFalse(pair.server.isActive)
    }

    func testClientRefusesACertificateForAnotherName() throws {
        let error = try handshakeError(serverName: "chat.example.org")
        XCTAssertEqual(error?.kind, .handshakeFailed)
        XCTAssertTrue(error?.diagnostics.contains("hostname mismatch") == true, error?.diagnostics ?? "no error")
    }

    func testIPAddressMatchesTheLeafsIPSubjectAltName() throws {
        XCTAssertNil(try handshakeError(serverName: "127.0.0.1"))
        XCTAssertNil(try handshakeError(serverName: "::1"))
    }

    func testIPAddressNotInTheCertificateIsRefused() throws {
        let error = try handshakeError(serverName: "127.0.0.2")
        XCTAssertEqual(error?.kind, .handshakeFailed)
        XCTAssertTrue(error?.diagnostics.contains("IP address mismatch") == true, error?.diagnostics ?? "no error")
    }

    /// Runs a handshake against the standard test leaf (SANs localhost, 127.0.0.1, ::1)
    /// with `serverName`; returns the client's error, or nil if it completed.
    private func handshakeError(
        serverName: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> TLSError? {
        let certificates = try makeCertificates()
        let pair = try EmbeddedTLSPair(
            serverContext: makeServerContext(certificates),
            clientContext: makeClientContext(trusting: certificates),
            serverName: serverName
        )
        defer { pair.finish() }
        try pair.connect()
        try pair.exchange()
        if let error = pair.clientRecorder.errors.first {
            XCTAssertTrue(pair.clientRecorder.sessions.isEmpty, file: file, line: line)
            XCTAssertFalse(pair.client.isActive, "the client kept a failed connection open", file: file, line: line)
            return try XCTUnwrap(error as? TLSError, "\(error)", file: file, line: line)
        }
        XCTAssertEqual(pair.clientRecorder.sessions.count, 1, file: file, line: line)
        XCTAssertEqual(pair.serverRecorder.sessions.count, 1, file: file, line: line)
        return nil
    }

    func testServerNameIndicationIsSentForDNSNamesButNotForIPAddresses() throws {
        // RFC 6066 forbids IP literals in SNI.
        XCTAssertEqual(try sentServerName(connectingTo: "localhost"), "localhost")
        XCTAssertNil(try sentServerName(connectingTo: "127.0.0.1"))
        XCTAssertNil(try sentServerName(connectingTo: "::1"))
    }

    private func sentServerName(connectingTo serverName: String) throws -> String? {
        let certificates = try makeCertificates()
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        try channel.pipeline.syncOperations.addHandler(
            TLSHandler.client(context: makeClientContext(trusting: certificates), serverName: serverName)
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4_433)).wait()
        return try serverNameIndication(inClientHello: XCTUnwrap(try channel.readOutbound(as: ByteBuffer.self)))
    }

    func testHandlerRefusesAContextMadeForTheOtherEnd() throws {
        let certificates = try makeCertificates()
        let clientContext = try makeClientContext(trusting: certificates)
        let serverContext = try makeServerContext(certificates)
        XCTAssertThrowsError(try TLSHandler.server(context: clientContext)) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .invalidConfiguration, "\(error)")
        }
        XCTAssertThrowsError(try TLSHandler.client(context: serverContext, serverName: "localhost")) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .invalidConfiguration, "\(error)")
        }
    }

    // MARK: Contexts from bad files

    func testClientContextWithMissingCAFileThrows() throws {
        let certificates = try makeCertificates()
        let missing = certificates.directory.appendingPathComponent("no-such-ca.pem").path
        XCTAssertThrowsError(try TLSContext.client(trustRootsPath: missing)) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .invalidConfiguration, "\(error)")
        }
    }

    func testServerContextWithMissingCertificateThrows() throws {
        let certificates = try makeCertificates()
        let missing = certificates.directory.appendingPathComponent("no-such-chain.pem").path
        XCTAssertThrowsError(
            try TLSContext.server(certificateChainPath: missing, privateKeyPath: certificates.keyPath)
        ) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .invalidConfiguration, "\(error)")
        }
    }

    func testServerContextWithMissingKeyThrows() throws {
        let certificates = try makeCertificates()
        let missing = certificates.directory.appendingPathComponent("no-such-key.pem").path
        XCTAssertThrowsError(
            try TLSContext.server(certificateChainPath: certificates.chainPath, privateKeyPath: missing)
        ) { error in
            XCTAssertEqual((error as? TLSError)?.kind, .invalidConfiguration, "\(error)")
        }
    }

    func testServerContextWithAnotherCertificatesKeyThrows() throws {
        let certificates = try makeCertificates()
        let other = try makeCertificates()
        XCTAssertThrowsError(
            try TLSContext.server(certificateChainPath: certificates.chainPath, privateKeyPath: other.keyPath)
        ) { error in
            let tlsError = error as? TLSError
            XCTAssertEqual(tlsError?.kind, .invalidConfiguration, "\(error)")
            XCTAssertTrue(tlsError?.diagnostics.contains("private key") == true, "\(error)")
        }
        // The matching pair from the same run loads, so the failure above is the key's.
        XCTAssertNoThrow(try makeServerContext(certificates))
    }
}
