import ChatTLS
import NIOCore
import XCTest

/// A client context made with a `ServerCertificatePolicy` is shared by connections, so
/// what each handshake saw must stay with that connection.
final class TLSServerCertificateTests: XCTestCase {
    func testConnectionsSharingAContextEachReportTheirOwnServersCertificate() throws {
        let trusted = try makeCertificates()
        let stranger = try makeCertificates()
        let shared = try TLSContext.client(trustRootsPath: trusted.caPath, policy: .acceptAnyForFirstUse)
        let first = try EmbeddedTLSPair(serverContext: makeServerContext(trusted), clientContext: shared)
        let second = try EmbeddedTLSPair(serverContext: makeServerContext(stranger), clientContext: shared)
        defer {
            first.finish()
            second.finish()
        }
        // Both are open at once, and the second handshake ends after the first.
        try first.connect()
        try second.connect()
        try first.exchange()
        try second.exchange()

        let firstSeen = try XCTUnwrap(first.clientRecorder.sessions.first?.serverCertificate, "\(first.clientRecorder.errors)")
        let secondSeen = try XCTUnwrap(second.clientRecorder.sessions.first?.serverCertificate, "\(second.clientRecorder.errors)")
        XCTAssertEqual(firstSeen.der, try trusted.leafDER())
        XCTAssertTrue(firstSeen.chainVerified, firstSeen.chainProblem ?? "")
        XCTAssertEqual(secondSeen.der, try stranger.leafDER())
        XCTAssertFalse(secondSeen.chainVerified)
    }

    func testARefusedCertificateIsReportedInTheErrorWhileAnotherConnectionKeepsItsVerdict() throws {
        let trusted = try makeCertificates()
        let stranger = try makeCertificates()
        let shared = try TLSContext.client(trustRootsPath: trusted.caPath, policy: .certificateAuthority)
        let accepted = try EmbeddedTLSPair(serverContext: makeServerContext(trusted), clientContext: shared)
        let refused = try EmbeddedTLSPair(serverContext: makeServerContext(stranger), clientContext: shared)
        defer {
            accepted.finish()
            refused.finish()
        }
        try accepted.connect()
        try refused.connect()
        try accepted.exchange()
        try refused.exchange()

        let acceptedSeen = try XCTUnwrap(accepted.clientRecorder.sessions.first?.serverCertificate)
        XCTAssertEqual(acceptedSeen.der, try trusted.leafDER())
        XCTAssertTrue(acceptedSeen.chainVerified)

        XCTAssertTrue(refused.clientRecorder.sessions.isEmpty)
        let error = try XCTUnwrap(refused.clientRecorder.errors.first as? TLSError, "\(refused.clientRecorder.errors)")
        XCTAssertEqual(error.kind, .handshakeFailed)
        let refusedSeen = try XCTUnwrap(error.serverCertificate)
        XCTAssertEqual(refusedSeen.der, try stranger.leafDER())
        XCTAssertNotNil(refusedSeen.chainProblem)
    }

    func testContextsWithoutAPolicyReportNoVerdict() throws {
        let pair = try makeEmbeddedPair()
        defer { pair.finish() }
        try pair.handshake()
        XCTAssertNil(pair.clientRecorder.sessions.first?.serverCertificate)
        XCTAssertNil(pair.serverRecorder.sessions.first?.serverCertificate)
    }
}
