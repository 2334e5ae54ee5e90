import ChatTLS
import NIOCore
import NIOEmbedded
import XCTest

/// A server handler facing something that is not a well-behaved TLS client: plaintext,
/// junk, silence, or a ClientHello that never finishes.
final class TLSHandshakeFailureTests: XCTestCase {
    private var server: EmbeddedTLSServer!

    override func setUpWithError() throws {
        server = try EmbeddedTLSServer(context: makeServerContext(makeCertificates()), handshakeTimeout: .seconds(5))
    }

    override func tearDown() {
        server?.finish()
        server = nil
    }

    // MARK: Not TLS

    func testPlaintextHTTPIsClosedWithoutAPlaintextAnswer() throws {
        try server.channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
        assertRefusedWithoutPlaintext(kind: .handshakeFailed)
    }

    func testChatCommandInPlaintextIsClosedWithoutAPlaintextAnswer() throws {
        try server.channel.writeInbound(ByteBuffer(string: "/login alice alice password\n"))
        assertRefusedWithoutPlaintext(kind: .handshakeFailed)
    }

    func testHandshakeRecordWithJunkInsideIsRefused() throws {
        // A well-formed record header (handshake, TLS 1.0, 8 bytes) around junk.
        try server.channel.writeInbound(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x00, 0x08] + Array("junk1234".utf8)))
        assertRefusedWithoutPlaintext(kind: .handshakeFailed)
    }

    private func assertRefusedWithoutPlaintext(
        kind: TLSError.Kind,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(server.recorder.tlsErrorKinds, [kind], "\(server.recorder.errors)", file: file, line: line)
        XCTAssertFalse(server.channel.isActive, "the connection was left open", file: file, line: line)
        XCTAssertEqual(server.recorder.received, [], file: file, line: line)
        XCTAssertTrue(server.recorder.sessions.isEmpty, file: file, line: line)
        // At most a TLS alert record: never readable text.
        let output = (try? server.takeOutput()) ?? []
        if !output.isEmpty {
            XCTAssertEqual(output.first, TLSRecordHeader.alert, "answered \(output)", file: file, line: line)
            XCTAssertEqual(
                tlsRecords(in: ByteBuffer(bytes: output))?.map(\.contentType),
                [TLSRecordHeader.alert],
                file: file,
                line: line
            )
        }
    }

    // MARK: Deadline

    func testSilentClientIsClosedAtTheHandshakeDeadline() throws {
        server.loop.advanceTime(by: .seconds(5) - .milliseconds(1))
        XCTAssertTrue(server.channel.isActive)
        XCTAssertTrue(server.recorder.errors.isEmpty)

        server.loop.advanceTime(by: .milliseconds(1))
        XCTAssertFalse(server.channel.isActive)
        XCTAssertEqual(server.recorder.tlsErrorKinds, [.handshakeTimeout])
        XCTAssertEqual(try server.takeOutput(), [])
    }

    func testTrickledClientHelloDoesNotExtendTheDeadline() throws {
        let hello = try clientHello()
        // Everything but the last byte, one at a time, spread over 4.9 of the 5 seconds:
        // activity must not push the deadline back.
        let pieces = hello.dropLast()
        let gap = TimeAmount.nanoseconds(TimeAmount.milliseconds(4_900).nanoseconds / Int64(pieces.count))
        for byte in pieces {
            try server.channel.writeInbound(ByteBuffer(bytes: [byte]))
            server.loop.advanceTime(by: gap)
        }
        XCTAssertTrue(server.channel.isActive)
        XCTAssertTrue(server.recorder.errors.isEmpty, "\(server.recorder.errors)")
        server.loop.advanceTime(by: .milliseconds(200))
        XCTAssertFalse(server.channel.isActive)
        XCTAssertEqual(server.recorder.tlsErrorKinds, [.handshakeTimeout])
        XCTAssertTrue(server.recorder.sessions.isEmpty)
    }

    /// A real ClientHello from the project's client handler.
    private func clientHello() throws -> [UInt8] {
        let certificates = try makeCertificates()
        // Its own loop: finishing a channel cancels every task on its loop, and the
        // server's deadline must survive this.
        let client = EmbeddedChannel(loop: EmbeddedEventLoop())
        defer { _ = try? client.finish(acceptAlreadyClosed: true) }
        try client.pipeline.syncOperations.addHandler(
            TLSHandler.client(context: makeClientContext(trusting: certificates), serverName: "localhost")
        )
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4_433)).wait()
        let hello = try XCTUnwrap(try client.readOutbound(as: ByteBuffer.self))
        return Array(buffer: hello)
    }
}
