import ChatTestSupport
import ChatTLS
import NIOCore
import NIOPosix
import XCTest

/// Server and client `TLSHandler`s over real loopback sockets, and the server against
/// the openssl CLI.
final class TLSLoopbackTests: XCTestCase {
    func testOneMebibyteEchoesIntactOverSockets() async throws {
        let certificates = try makeCertificates()
        let serverLog = ConnectionLog()
        let clientLog = ConnectionLog()
        let (listener, port) = try await Loopback.startServer(context: makeServerContext(certificates), log: serverLog, echo: true)
        let client = try await Loopback.connect(port: port, context: makeClientContext(trusting: certificates), log: clientLog)

        let payload = patternBytes(count: 1 << 20, seed: 3)
        try await client.writeAndFlush(ByteBuffer(bytes: payload))
        let echoed = try await clientLog.wait { $0.received.count >= payload.count }
        XCTAssertEqual(echoed.received.count, payload.count)
        XCTAssertTrue(echoed.received == payload, "the echo differs from what was sent")
        XCTAssertEqual(echoed.sessions.map(\.protocolVersion), ["TLSv1.3"])
        XCTAssertNotNil(echoed.sessions.first?.peerCertificateDER)
        XCTAssertTrue(serverLog.snapshot.received == payload)

        try await client.close()
        try await listener.close()
    }

    func testClientCloseReachesTheServerAsCloseNotify() async throws {
        let certificates = try makeCertificates()
        let serverLog = ConnectionLog()
        let clientLog = ConnectionLog()
        let (listener, port) = try await Loopback.startServer(context: makeServerContext(certificates), log: serverLog)
        let client = try await Loopback.connect(port: port, context: makeClientContext(trusting: certificates), log: clientLog)
        try await client.writeAndFlush(ByteBuffer(string: "last line\n"))
        _ = try await serverLog.wait { $0.receivedText == "last line\n" }

        try await client.close()
        let server = try await serverLog.wait { $0.inactiveCount == 1 }
        XCTAssertEqual(server.inactiveCount, 1)
        XCTAssertEqual(server.receivedText, "last line\n")
        XCTAssertTrue(server.errors.isEmpty, "\(server.errors)")
        XCTAssertTrue(clientLog.snapshot.errors.isEmpty, "\(clientLog.snapshot.errors)")
        try await listener.close()
    }

    func testTCPCloseWithoutCloseNotifyFiresUncleanShutdown() async throws {
        let certificates = try makeCertificates()
        let serverLog = ConnectionLog()
        let (listener, port) = try await Loopback.startServer(context: makeServerContext(certificates), log: serverLog)
        let client = try await Loopback.connect(port: port, context: makeClientContext(trusting: certificates), log: ConnectionLog())
        _ = try await serverLog.wait { $0.sessions.count == 1 }

        try await Loopback.dropConnection(client)
        let server = try await serverLog.wait { $0.inactiveCount == 1 }
        XCTAssertEqual(server.inactiveCount, 1)
        XCTAssertEqual(server.tlsErrorKinds, [.uncleanShutdown], "\(server.errors)")
        try await listener.close()
    }

    // MARK: openssl s_client

    private func sClient(
        port: Int,
        _ certificates: TestCertificates,
        _ options: [String],
        input: [ChildProcess.Input] = []
    ) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            "/usr/bin/openssl",
            ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", certificates.caPath, "-verify_return_error"] + options,
            input: input,
            timeout: .seconds(15)
        )
    }

    func testModernProfileRefusesATLS12OnlyClient() async throws {
        let certificates = try makeCertificates()
        let serverLog = ConnectionLog()
        let (listener, port) = try await Loopback.startServer(
            context: makeServerContext(certificates, profile: .modern),
            log: serverLog
        )

        let tls12 = try await sClient(port: port, certificates, ["-tls1_2", "-brief"], input: [.line("refused?")])
        XCTAssertNotEqual(tls12.status, 0)
        XCTAssertTrue(tls12.standardError.contains("alert protocol version"), tls12.standardError)
        let refused = try await serverLog.wait { $0.inactiveCount == 1 }
        XCTAssertEqual(refused.tlsErrorKinds, [.handshakeFailed], "\(refused.errors)")
        XCTAssertTrue(refused.sessions.isEmpty)
        XCTAssertEqual(refused.received, [])

        // The same server speaks TLS 1.3 to the same client program.
        let tls13 = try await sClient(port: port, certificates, ["-tls1_3", "-brief"], input: [.line("welcome")])
        XCTAssertEqual(tls13.status, 0, tls13.standardError)
        XCTAssertTrue(tls13.standardError.contains("Protocol version: TLSv1.3"), tls13.standardError)
        let accepted = try await serverLog.wait { $0.receivedText == "welcome\n" }
        XCTAssertEqual(accepted.receivedText, "welcome\n")
        XCTAssertEqual(accepted.sessions.map(\.protocolVersion), ["TLSv1.3"])
        try await listener.close()
    }

    func testDataStillFlowsAfterKeyUpdatesFromSClient() async throws {
        let certificates = try makeCertificates()
        let serverLog = ConnectionLog()
        let (listener, port) = try await Loopback.startServer(context: makeServerContext(certificates), log: serverLog, echo: true)

        // Interactive s_client reads "k" and "K" alone on a line as commands: send a
        // KeyUpdate, and (K) ask the server to update its keys too. `-msg` prints the
        // handshake messages it receives, so the server's answering KeyUpdate shows.
        // s_client only sees a command at the start of one read(), hence the pauses.
        let result = try await sClient(
            port: port,
            certificates,
            ["-tls1_3", "-msg"],
            input: [
                .line("before", pause: .milliseconds(500)),
                .line("k", pause: .milliseconds(500)),
                .line("middle", pause: .milliseconds(500)),
                .line("K", pause: .milliseconds(500)),
                .line("after", pause: .milliseconds(500)),
            ]
        )
        XCTAssertFalse(result.timedOut)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardError.components(separatedBy: "KEYUPDATE").count - 1, 2, result.standardError)

        let server = try await serverLog.wait { $0.inactiveCount == 1 }
        XCTAssertEqual(server.receivedText, "before\nmiddle\nafter\n")
        XCTAssertTrue(server.errors.isEmpty, "\(server.errors)")
        // s_client decrypted the echo sent after the server's own KeyUpdate.
        let output = result.standardOutput
        let serverKeyUpdate = try XCTUnwrap(output.range(of: "<<< TLS 1.3, Handshake [length 0005], KeyUpdate"), output)
        XCTAssertTrue(output[serverKeyUpdate.upperBound...].contains("after"), output)
        try await listener.close()
    }
}
