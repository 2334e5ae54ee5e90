import ChatTLS
import NIOCore
import XCTest

/// Ending a connection: close_notify both ways, TCP closes without it, and what
/// happens to writes still waiting.
final class TLSCloseTests: EmbeddedPairTestCase {
    // MARK: close_notify

    func testClientCloseSendsCloseNotifyAndTheServerClosesCleanly() throws {
        try pair.handshake()
        let closed = PromiseOutcome(pair.client.close())

        let closeNotify = try pair.takeNetworkWrites(of: pair.client)
        XCTAssertEqual(closeNotify.count, 1)
        XCTAssertEqual(closeNotify.first.flatMap(tlsRecords(in:))?.count, 1)
        // The server has heard nothing yet.
        XCTAssertTrue(pair.server.isActive)
        XCTAssertEqual(pair.serverRecorder.inactiveCount, 0)

        for write in closeNotify { try pair.server.writeInbound(write) }
        // It answered with its own close_notify and hung up, without calling the
        // close unclean.
        XCTAssertEqual(try pair.takeNetworkWrites(of: pair.server).flatMap { tlsRecords(in: $0) ?? [] }.count, 1)
        XCTAssertFalse(pair.server.isActive)
        XCTAssertEqual(pair.serverRecorder.inactiveCount, 1)
        XCTAssertEqual(pair.serverRecorder.tlsErrorKinds, [])
        XCTAssertTrue(pair.serverRecorder.errors.isEmpty, "\(pair.serverRecorder.errors)")

        XCTAssertTrue(closed.succeeded, "\(String(describing: closed.result))")
        XCTAssertFalse(pair.client.isActive)
        XCTAssertTrue(pair.clientRecorder.errors.isEmpty, "\(pair.clientRecorder.errors)")
    }

    func testServerCloseIsSeenCleanlyByTheClient() throws {
        try pair.handshake()
        let closed = PromiseOutcome(pair.server.close())
        try pair.exchange()
        XCTAssertTrue(closed.succeeded)
        XCTAssertFalse(pair.server.isActive)
        XCTAssertFalse(pair.client.isActive)
        XCTAssertEqual(pair.clientRecorder.inactiveCount, 1)
        XCTAssertTrue(pair.clientRecorder.errors.isEmpty, "\(pair.clientRecorder.errors)")
        XCTAssertTrue(pair.serverRecorder.errors.isEmpty, "\(pair.serverRecorder.errors)")
    }

    func testWritesBeforeCloseGoOutBeforeCloseNotify() throws {
        try pair.handshake()
        let flushed = PromiseOutcome(pair.server.writeAndFlush(ByteBuffer(string: "ERR auth-failed\r\n")))
        let unflushed = PromiseOutcome(pair.server.write(ByteBuffer(string: "BYE too many failed logins\r\n")))
        pair.server.close(promise: nil)
        try pair.exchange()
        XCTAssertEqual(pair.clientRecorder.receivedText, "ERR auth-failed\r\nBYE too many failed logins\r\n")
        XCTAssertTrue(flushed.succeeded)
        XCTAssertTrue(unflushed.succeeded)
        XCTAssertTrue(pair.clientRecorder.errors.isEmpty, "\(pair.clientRecorder.errors)")
    }

    func testClosingAgainWhileWaitingForThePeerHangsUpAtOnce() throws {
        try pair.handshake()
        // An embedded channel closes entirely on a half-close; a socket does not.
        try pair.server.pipeline.syncOperations.addHandler(HalfCloseAsASocketDoes(), position: .first)
        let first = PromiseOutcome(pair.server.close())
        // close_notify is out; the server waits (bounded) for the peer's answer.
        XCTAssertEqual(try pair.takeNetworkWrites(of: pair.server).count, 1)
        XCTAssertTrue(first.isPending)
        XCTAssertTrue(pair.server.isActive)

        let second = PromiseOutcome(pair.server.close())
        XCTAssertFalse(pair.server.isActive)
        XCTAssertTrue(first.succeeded, "\(String(describing: first.result))")
        XCTAssertTrue(second.succeeded, "\(String(describing: second.result))")
        XCTAssertTrue(pair.serverRecorder.errors.isEmpty, "\(pair.serverRecorder.errors)")
    }

    // MARK: Without close_notify

    func testTCPCloseWithoutCloseNotifyIsReportedAsUncleanShutdown() throws {
        try pair.handshake()
        try pair.dropConnection(pair.server)
        XCTAssertEqual(pair.serverRecorder.tlsErrorKinds, [.uncleanShutdown])
        XCTAssertEqual(pair.serverRecorder.inactiveCount, 1)
    }

    func testTCPCloseDuringTheHandshakeIsNotReportedAsUncleanShutdown() throws {
        try pair.connect()
        try pair.dropConnection(pair.server)
        XCTAssertEqual(pair.serverRecorder.tlsErrorKinds, [])
        XCTAssertEqual(pair.serverRecorder.inactiveCount, 1)
    }

    // MARK: Pending writes

    func testWritesWaitingForTheHandshakeFailWhenTheChannelCloses() throws {
        try pair.connect()
        let flushed = PromiseOutcome(pair.client.writeAndFlush(ByteBuffer(string: "queued")))
        let unflushed = PromiseOutcome(pair.client.write(ByteBuffer(string: "unflushed")))
        let closed = PromiseOutcome(pair.client.close())
        XCTAssertEqual(flushed.error as? ChannelError, .ioOnClosedChannel)
        XCTAssertEqual(unflushed.error as? ChannelError, .ioOnClosedChannel)
        XCTAssertTrue(closed.succeeded)
        try pair.exchange()
        XCTAssertEqual(pair.serverRecorder.received, [])
    }

    func testUnflushedWriteFailsWhenThePeerDropsTheConnection() throws {
        try pair.handshake()
        let pending = PromiseOutcome(pair.server.write(ByteBuffer(string: "never flushed")))
        try pair.dropConnection(pair.server)
        XCTAssertEqual(pending.error as? ChannelError, .ioOnClosedChannel)
    }

    func testWriteAfterCloseFails() throws {
        try pair.handshake()
        pair.client.close(promise: nil)
        let late = PromiseOutcome(pair.client.writeAndFlush(ByteBuffer(string: "too late")))
        XCTAssertNotNil(late.error)
        try pair.exchange()
        XCTAssertEqual(pair.serverRecorder.received, [])
    }
}

/// Completes a close of our output without closing the embedded channel, the way a
/// socket stays open for reading after shutdown(SHUT_WR).
private final class HalfCloseAsASocketDoes: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .output else {
            return context.close(mode: mode, promise: promise)
        }
        promise?.succeed()
    }
}
