import ChatTestSupport
import ChatTLS
import NIOCore
import NIOEmbedded
import XCTest

/// A client and a server `TLSHandler` back to back, in memory: the handshake itself.
final class TLSHandshakeTests: XCTestCase {
    func testECDSAHandshakeCompletesOnBothSidesOnce() throws {
        try assertHandshakeCompletes(with: makeCertificates())
    }

    func testRSAHandshakeCompletesOnBothSidesOnce() throws {
        try assertHandshakeCompletes(with: makeCertificates(rsa: true))
    }

    private func assertHandshakeCompletes(
        with certificates: TestCertificates,
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let pair = try EmbeddedTLSPair(
            serverContext: makeServerContext(certificates),
            clientContext: makeClientContext(trusting: certificates)
        )
        defer { pair.finish() }
        try pair.handshake(file: file, line: line)

        let clientSession = try XCTUnwrap(pair.clientRecorder.sessions.first, file: file, line: line)
        let serverSession = try XCTUnwrap(pair.serverRecorder.sessions.first, file: file, line: line)
        XCTAssertEqual(clientSession.protocolVersion, "TLSv1.3", file: file, line: line)
        XCTAssertEqual(serverSession.protocolVersion, "TLSv1.3", file: file, line: line)
        XCTAssertEqual(clientSession.cipher, serverSession.cipher, file: file, line: line)
        XCTAssertTrue(clientSession.cipher.hasPrefix("TLS_"), clientSession.cipher, file: file, line: line)
        // The client learns exactly the leaf the server was configured with; the server
        // asks for no client certificate.
        XCTAssertEqual(clientSession.peerCertificateDER, try certificates.leafDER(), file: file, line: line)
        XCTAssertNil(serverSession.peerCertificateDER, file: file, line: line)
        XCTAssertTrue(pair.clientRecorder.errors.isEmpty, "\(pair.clientRecorder.errors)", file: file, line: line)
        XCTAssertTrue(pair.serverRecorder.errors.isEmpty, "\(pair.serverRecorder.errors)", file: file, line: line)

        // Traffic after the handshake does not announce it again.
        pair.client.writeAndFlush(ByteBuffer(string: "ping"), promise: nil)
        pair.server.writeAndFlush(ByteBuffer(string: "pong"), promise: nil)
        try pair.exchange()
        XCTAssertEqual(pair.serverRecorder.receivedText, "ping", file: file, line: line)
        XCTAssertEqual(pair.clientRecorder.receivedText, "pong", file: file, line: line)
        XCTAssertEqual(pair.clientRecorder.sessions.count, 1, file: file, line: line)
        XCTAssertEqual(pair.serverRecorder.sessions.count, 1, file: file, line: line)
    }

    func testHandlerAddedToAnActiveChannelStartsTheHandshake() throws {
        let certificates = try makeCertificates()
        // Already connected when TLS is added: no channelActive will come.
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4_433)).wait()
        try channel.pipeline.syncOperations.addHandler(
            TLSHandler.client(context: makeClientContext(trusting: certificates), serverName: "localhost")
        )
        let hello = try XCTUnwrap(try channel.readOutbound(as: ByteBuffer.self))
        XCTAssertEqual(tlsRecords(in: hello)?.map(\.contentType), [TLSRecordHeader.handshake])
    }

    func testHandshakeDeadlineIsCancelledOnceTheHandshakeCompletes() throws {
        let certificates = try makeCertificates()
        let pair = try EmbeddedTLSPair(
            serverContext: makeServerContext(certificates),
            clientContext: makeClientContext(trusting: certificates),
            handshakeTimeout: .seconds(5)
        )
        defer { pair.finish() }
        try pair.handshake()
        pair.loop.advanceTime(by: .seconds(60))
        XCTAssertTrue(pair.client.isActive)
        XCTAssertTrue(pair.server.isActive)
        XCTAssertTrue(pair.clientRecorder.errors.isEmpty, "\(pair.clientRecorder.errors)")
        XCTAssertTrue(pair.serverRecorder.errors.isEmpty, "\(pair.serverRecorder.errors)")
    }
}
