import ChatTLS
import NIOCore
import XCTest

/// When OpenSSL refuses to encrypt, the error carries OpenSSL's own reason, as a
/// failed handshake or read does: "SSL_write failed" alone tells an operator nothing.
final class TLSWriteFailureTests: EmbeddedPairTestCase {
    func testWriteOnAConnectionABadRecordBrokeFailsWithOpenSSLsReason() throws {
        try pair.handshake()
        // A handler above TLS that answers an error with a write: TLS reports the failed
        // read while still active, so this write reaches SSL_write on an SSL object that
        // has just sent a fatal alert.
        let answerer = WriteOnError()
        try pair.server.pipeline.syncOperations.addHandler(answerer, position: .before(pair.serverRecorder))

        pair.client.writeAndFlush(ByteBuffer(string: "hello"), promise: nil)
        var record = try XCTUnwrap(pair.takeNetworkWrites(of: pair.client).first)
        // Flip a bit of the AEAD tag: the record no longer authenticates.
        let last = record.writerIndex - 1
        record.setInteger(record.getInteger(at: last, as: UInt8.self)! ^ 0x01, at: last)
        try pair.server.writeInbound(record)

        // The write failed inside the read's error report, so its error arrives first.
        let errors = pair.serverRecorder.errors.compactMap { $0 as? TLSError }
        XCTAssertEqual(errors.count, 2, "\(pair.serverRecorder.errors)")
        XCTAssertEqual(errors.map(\.kind), [.protocolError, .protocolError])
        let readError = try XCTUnwrap(errors.last)
        XCTAssertTrue(readError.diagnostics.contains("bad record mac"), readError.diagnostics)

        let writeOutcome = try XCTUnwrap(answerer.write)
        let writeError = try XCTUnwrap(writeOutcome.error as? TLSError, "\(String(describing: writeOutcome.result))")
        XCTAssertEqual(writeError.kind, .protocolError)
        XCTAssertTrue(writeError.diagnostics.hasPrefix("SSL_write: "), writeError.diagnostics)
        // OpenSSL queues nothing for a write on a connection that already failed: the
        // reason is the one the failed read drained.
        XCTAssertTrue(writeError.diagnostics.contains("decryption failed or bad record mac"), writeError.diagnostics)
        XCTAssertEqual(errors.first?.diagnostics, writeError.diagnostics)
        XCTAssertFalse(pair.server.isActive)
    }
}

/// Answers the first error it sees with a write, and keeps that write's outcome.
private final class WriteOnError: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private(set) var write: PromiseOutcome?
    private var answered = false

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Set first: a failed write reports its error through here before it returns.
        if !answered {
            answered = true
            let promise = context.eventLoop.makePromise(of: Void.self)
            write = PromiseOutcome(promise.futureResult)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "sorry")), promise: promise)
        }
        context.fireErrorCaught(error)
    }
}
