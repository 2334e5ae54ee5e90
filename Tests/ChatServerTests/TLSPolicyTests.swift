import ChatTestSupport
import ChatTLS
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

/// The server's TLS front door, checked with the real openssl CLI and raw sockets.
final class TLSPolicyTests: XCTestCase {
    private func sClient(_ harness: ServerHarness, _ options: [String], input: [ChildProcess.Input] = []) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            "/usr/bin/openssl",
            ["s_client", "-connect", "127.0.0.1:\(harness.port)", "-CAfile", harness.certificates.caPath] + options,
            input: input,
            timeout: .seconds(15)
        )
    }

    func testTLS11IsRefused() async throws {
        let harness = try await ServerHarness.start(for: self)
        // SECLEVEL=0 lets the client offer TLS 1.1 at all; the server must still say no.
        let result = try await sClient(harness, ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.standardError.contains("alert protocol version"), result.standardError)
        XCTAssertFalse(result.standardOutput.contains("HELLO"))
    }

    func testTLS12UsesAForwardSecretAEADSuiteAndTLS13Works() async throws {
        let harness = try await ServerHarness.start(for: self)
        let tls12 = try await sClient(harness, ["-tls1_2", "-brief"], input: [.line("/quit")])
        XCTAssertTrue(tls12.standardError.contains("Protocol version: TLSv1.2"), tls12.standardError)
        XCTAssertTrue(tls12.standardError.contains("Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256"), tls12.standardError)
        XCTAssertTrue(tls12.standardError.contains("Verification: OK"), tls12.standardError)
        XCTAssertTrue(tls12.standardOutput.contains("HELLO securechat"))

        let tls13 = try await sClient(harness, ["-tls1_3", "-brief"], input: [.line("/quit")])
        XCTAssertTrue(tls13.standardError.contains("Protocol version: TLSv1.3"), tls13.standardError)
        XCTAssertTrue(tls13.standardOutput.contains("BYE goodbye"))

        // CBC and non-forward-secret suites are not offered.
        let weak = try await sClient(harness, ["-tls1_2", "-cipher", "AES128-SHA:ECDHE-RSA-AES128-SHA"])
        XCTAssertNotEqual(weak.status, 0)
        XCTAssertFalse(weak.standardOutput.contains("HELLO"))
    }

    func testRSACertificateWorksToo() async throws {
        let rsa = try TestCertificates.make(rsa: true)
        let harness = try await ServerHarness.start(for: self) {
            $0.certificateChainPath = rsa.chainPath
            $0.privateKeyPath = rsa.keyPath
        }
        let result = try await ChildProcess.run(
            "/usr/bin/openssl",
            ["s_client", "-connect", "127.0.0.1:\(harness.port)", "-CAfile", rsa.caPath, "-tls1_2", "-brief"],
            input: [.line("/quit")]
        )
        XCTAssertTrue(result.standardError.contains("Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256"), result.standardError)
        XCTAssertTrue(result.standardOutput.contains("BYE goodbye"))
        rsa.remove()
    }

    func testPlaintextAndHTTPAreClosedWithoutAPlaintextAnswer() async throws {
        let harness = try await ServerHarness.start(for: self)
        for probe in ["GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "/login alice alice password\n"] {
            let answer = try await RawConnection.exchange(port: harness.port, send: Array(probe.utf8))
            XCTAssertTrue(answer.closed, "the server kept a plaintext connection open")
            // Nothing readable comes back: at most a TLS alert record (content type 21).
            XCTAssertTrue(answer.bytes.isEmpty || answer.bytes.first == 21, "plaintext answer: \(answer.bytes)")
            XCTAssertFalse(String(decoding: answer.bytes, as: UTF8.self).contains("ERR"))
        }
    }

    func testStalledHandshakeIsClosedAtTheDeadline() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.handshakeTimeout = .milliseconds(500) }
        // The first bytes of a ClientHello, then silence.
        let started = ContinuousClock.now
        let answer = try await RawConnection.exchange(
            port: harness.port,
            send: [0x16, 0x03, 0x01, 0x02, 0x00, 0x01],
            waitForClose: .seconds(5)
        )
        XCTAssertTrue(answer.closed)
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(4))
        XCTAssertTrue(harness.logs.joined.contains("kind=handshake-timeout"))
    }

    func testImpossibleRecordLengthClosesTheConnection() async throws {
        let harness = try await ServerHarness.start(for: self)
        // A handshake record header claiming 65,535 bytes (more than TLS allows).
        let answer = try await RawConnection.exchange(port: harness.port, send: [0x16, 0x03, 0x01, 0xFF, 0xFF, 0x01, 0x00])
        XCTAssertTrue(answer.closed)
        // And the server keeps serving everyone else.
        let alice = try await harness.login("alice")
        await alice.close()
    }

    func testClientRefusesServerFromAnotherCAOrWithAnotherName() async throws {
        let harness = try await ServerHarness.start(for: self)
        let stranger = try TestCertificates.make()
        let wrongCA = try TLSContext.client(trustRootsPath: stranger.caPath)
        do {
            _ = try await TestLineClient.connect(port: harness.port, context: wrongCA, group: ServerHarness.clientGroup)
            XCTFail("connected to a server signed by an unknown CA")
        } catch let error as TLSError {
            XCTAssertEqual(error.kind, .handshakeFailed)
            XCTAssertTrue(error.diagnostics.contains("certificate verify failed"), error.diagnostics)
        }
        do {
            _ = try await TestLineClient.connect(
                port: harness.port,
                serverName: "chat.example.org",
                context: harness.clientContext,
                group: ServerHarness.clientGroup
            )
            XCTFail("accepted a certificate for another name")
        } catch let error as TLSError {
            XCTAssertEqual(error.kind, .handshakeFailed)
        }
        // By DNS name, as the certificate says, it works.
        let byName = try await TestLineClient.connect(
            port: harness.port,
            serverName: "localhost",
            context: harness.clientContext,
            group: ServerHarness.clientGroup
        )
        try await expect(byName, prefix: "HELLO ")
        await byName.close()
        stranger.remove()
    }
}

/// A plain TCP connection for sending bytes that are not TLS.
enum RawConnection {
    struct Answer {
        var bytes: [UInt8]
        var closed: Bool
    }

    static func exchange(port: Int, send: [UInt8], waitForClose: TimeAmount = .seconds(5)) async throws -> Answer {
        let collected = NIOLockedValueBox<[UInt8]>([])
        let channel = try await ClientBootstrap(group: ServerHarness.clientGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteCollector(collected: collected))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        try await channel.writeAndFlush(ByteBuffer(bytes: send))
        let timeout = channel.eventLoop.scheduleTask(in: waitForClose) { channel.close(promise: nil) }
        let closedByServer = NIOLockedValueBox(true)
        timeout.futureResult.whenSuccess { closedByServer.withLockedValue { $0 = false } }
        try await channel.closeFuture.get()
        timeout.cancel()
        return Answer(bytes: collected.withLockedValue { $0 }, closed: closedByServer.withLockedValue { $0 })
    }

    private final class ByteCollector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let collected: NIOLockedValueBox<[UInt8]>
        init(collected: NIOLockedValueBox<[UInt8]>) { self.collected = collected }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(buffer: unwrapInboundIn(data))
            collected.withLockedValue { $0 += bytes }
        }
    }
}
