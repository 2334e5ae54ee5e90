import ChatLineClient
import ChatProtocol
import ChatTestSupport
import ChatTLS
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

/// The shared line-client pipeline against small loopback servers: what its events
/// are, when the handshake promise fails instead, and the options it sets.
final class LineClientTests: XCTestCase {
    private static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    func testLinesAndACleanCloseArriveInOrder() async throws {
        let certificates = try makeCertificates()
        let server = try await startServer(.tls(certificates, sends: "HELLO one\nbad \u{1}\n\nsecond\r\n"))
        let events = EventLog()
        let (_, session) = try await LineClient(context: clientContext(certificates), serverName: "127.0.0.1")
            .connect(to: .host("127.0.0.1", port: server.port), group: Self.group, onEvent: events.record)

        XCTAssertEqual(session.protocolVersion, "TLSv1.3")
        let seen = await events.waitUntilClosed()
        XCTAssertEqual(seen, ["handshake", "line HELLO one", "bad encoding", "line second", "closed"])
        try await server.listener.close()
    }

    func testALineOverTheLimitClosesTheConnectionWithTheDecodersError() async throws {
        let certificates = try makeCertificates()
        let server = try await startServer(.tls(certificates, sends: "short\n" + String(repeating: "x", count: 100) + "\n"))
        let events = EventLog()
        _ = try await LineClient(context: clientContext(certificates), serverName: "127.0.0.1", maxLineLength: 50)
            .connect(to: .address(server.address), group: Self.group, onEvent: events.record)

        let seen = await events.waitUntilClosed()
        XCTAssertEqual(seen, ["handshake", "line short", "closed: LineTooLongError"])
        try await server.listener.close()
    }

    func testAServerThatNeverAnswersFailsTheHandshakeInTimeAndReportsNothing() async throws {
        let certificates = try makeCertificates()
        let server = try await startServer(.silent)
        let events = EventLog()
        let client = LineClient(
            context: try clientContext(certificates),
            serverName: "127.0.0.1",
            handshakeTimeout: .milliseconds(200)
        )
        let started = ContinuousClock.now
        do {
            _ = try await client.connect(to: .address(server.address), group: Self.group, onEvent: events.record)
            XCTFail("connected to a server that never answers")
        } catch let error as TLSError {
            XCTAssertEqual(error.kind, .handshakeTimeout)
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertEqual(events.snapshot, [])
        try await server.listener.close()
    }

    func testAServerThatHangsUpBeforeTheHandshakeFailsTheConnect() async throws {
        let certificates = try makeCertificates()
        let server = try await startServer(.hangsUp)
        let events = EventLog()
        do {
            _ = try await LineClient(context: clientContext(certificates), serverName: "127.0.0.1")
                .connect(to: .address(server.address), group: Self.group, onEvent: events.record)
            XCTFail("connected to a server that hung up")
        } catch {}
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertEqual(events.snapshot, [])
        try await server.listener.close()
    }

    /// The load generator's way: no promise, so a refused handshake is a `closed`
    /// event with the TLS error.
    func testWithoutAPromiseARefusedHandshakeIsAClosedEventWithTheError() async throws {
        let certificates = try makeCertificates()
        let server = try await startServer(.tls(certificates, sends: "never read\n"))
        let events = EventLog()
        let channel = try await LineClient(context: clientContext(certificates), serverName: "wrong.example")
            .connect(to: .address(server.address), group: Self.group) {
                LineClientHandler(onEvent: events.record)
            }
            .get()

        let seen = await events.waitUntilClosed()
        XCTAssertEqual(seen, ["closed: TLSError handshake-failed"])
        try await channel.closeFuture.get()
        try await server.listener.close()
    }

    func testTheSocketGetsNoDelayAndTheReceiveBufferAsked() async throws {
        let certificates = try makeCertificates()
        let server = try await startServer(.tls(certificates, sends: nil))
        let (channel, _) = try await LineClient(
            context: clientContext(certificates),
            serverName: "127.0.0.1",
            receiveBufferBytes: 4096
        )
        .connect(to: .address(server.address), group: Self.group) { _ in }

        let noDelay = try await channel.getOption(.tcpOption(.tcp_nodelay)).get()
        XCTAssertEqual(noDelay, 1)
        // Linux doubles the value asked for (bookkeeping overhead); the default is
        // far larger.
        let receiveBuffer = try await channel.getOption(.socketOption(.so_rcvbuf)).get()
        XCTAssertLessThanOrEqual(receiveBuffer, 2 * 4096)
        try await channel.close()
        try await server.listener.close()
    }

    // MARK: Support

    private func makeCertificates() throws -> TestCertificates {
        let certificates = try TestCertificates.make()
        addTeardownBlock { certificates.remove() }
        return certificates
    }

    private func clientContext(_ certificates: TestCertificates) throws -> TLSContext {
        try TLSContext.client(trustRootsPath: certificates.caPath)
    }

    private enum ServerBehaviour: Sendable {
        /// TLS; after the handshake sends `sends` and closes with close_notify (nil:
        /// stays open).
        case tls(TestCertificates, sends: String?)
        /// Accepts and never says a word.
        case silent
        /// Accepts and hangs up at once.
        case hangsUp
    }

    private func startServer(
        _ behaviour: ServerBehaviour
    ) async throws -> (listener: any Channel, address: SocketAddress, port: Int) {
        let serverContext: TLSContext? =
            switch behaviour {
            case .tls(let certificates, _):
                try TLSContext.server(certificateChainPath: certificates.chainPath, privateKeyPath: certificates.keyPath)
            case .silent, .hangsUp: nil
            }
        let listener = try await ServerBootstrap(group: Self.group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    switch behaviour {
                    case .tls(_, let text):
                        try channel.pipeline.syncOperations.addHandlers(
                            TLSHandler.server(context: serverContext!),
                            SendAndClose(text: text)
                        )
                    case .silent:
                        break
                    case .hangsUp:
                        channel.close(promise: nil)
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let address = try XCTUnwrap(listener.localAddress)
        return (listener, address, try XCTUnwrap(address.port))
    }
}

/// After the handshake: writes its text and closes (nil: does nothing).
private final class SendAndClose: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let text: String?

    init(text: String?) {
        self.text = text
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSEvent, let text {
            context.write(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
            context.close(promise: nil)
        }
    }
}

/// The events a client saw, as short descriptions.
private final class EventLog: Sendable {
    private let events = NIOLockedValueBox<[String]>([])

    var snapshot: [String] { events.withLockedValue { $0 } }

    @Sendable func record(_ event: LineClientEvent) {
        let description =
            switch event {
            case .handshakeCompleted: "handshake"
            case .line(.text(let line)): "line \(line)"
            case .line(.badEncoding): "bad encoding"
            case .closed(.none): "closed"
            case .closed(let error as TLSError): "closed: TLSError \(error.kind.rawValue)"
            case .closed(let error?): "closed: \(type(of: error))"
            }
        events.withLockedValue { $0.append(description) }
    }

    func waitUntilClosed(timeout: Duration = .seconds(10)) async -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if snapshot.last?.hasPrefix("closed") == true { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return snapshot
    }
}
