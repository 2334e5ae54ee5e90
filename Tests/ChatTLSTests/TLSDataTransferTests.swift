import ChatTLS
import NIOCore
import XCTest

/// Application data through a handshaken pair: integrity, ordering, flush semantics and
/// how plaintext is packed into records and network writes.
final class TLSDataTransferTests: EmbeddedPairTestCase {
    // MARK: Integrity

    func testDataFlowsBothWays() throws {
        try pair.handshake()
        let toServer = PromiseOutcome(pair.client.writeAndFlush(ByteBuffer(string: "hello server")))
        let toClient = PromiseOutcome(pair.server.writeAndFlush(ByteBuffer(string: "hello client")))
        try pair.exchange()
        XCTAssertEqual(pair.serverRecorder.receivedText, "hello server")
        XCTAssertEqual(pair.clientRecorder.receivedText, "hello client")
        XCTAssertTrue(toServer.succeeded)
        XCTAssertTrue(toClient.succeeded)
    }

    func testOneMebibyteWriteArrivesIntactAndInOrderBothWays() throws {
        try pair.handshake()
        let upload = patternBytes(count: 1 << 20)
        let download = patternBytes(count: 1 << 20, seed: 7)

        let uploaded = PromiseOutcome(pair.client.writeAndFlush(ByteBuffer(bytes: upload)))
        let uploadTraffic = try pair.exchange()
        XCTAssertTrue(uploaded.succeeded)
        XCTAssertTrue(pair.serverRecorder.received == upload, "received \(pair.serverRecorder.received.count) bytes")
        // One flush, one network write, cut into full 16 KiB records.
        XCTAssertEqual(uploadTraffic.fromClient.count, 1)
        let records = try XCTUnwrap(uploadTraffic.fromClient.first.flatMap(tlsRecords(in:)))
        XCTAssertEqual(records.count, (1 << 20) / 16_384)
        XCTAssertTrue(records.allSatisfy { $0.contentType == TLSRecordHeader.applicationData })

        let downloaded = PromiseOutcome(pair.server.writeAndFlush(ByteBuffer(bytes: download)))
        try pair.exchange()
        XCTAssertTrue(downloaded.succeeded)
        XCTAssertTrue(pair.clientRecorder.received == download, "received \(pair.clientRecorder.received.count) bytes")
    }

    func testZeroLengthWriteSucceedsAndSendsNothing() throws {
        try pair.handshake()
        let empty = PromiseOutcome(pair.client.writeAndFlush(ByteBuffer()))
        XCTAssertTrue(empty.succeeded, "\(String(describing: empty.result))")
        XCTAssertEqual(try pair.takeNetworkWrites(of: pair.client).count, 0)

        // Between other writes it changes nothing.
        pair.client.write(ByteBuffer(string: "a"), promise: nil)
        let between = PromiseOutcome(pair.client.write(ByteBuffer()))
        pair.client.write(ByteBuffer(string: "b"), promise: nil)
        pair.client.flush()
        try pair.exchange()
        XCTAssertTrue(between.succeeded)
        XCTAssertEqual(pair.serverRecorder.receivedText, "ab")
    }

    // MARK: Writes during the handshake

    func testWritesFlushedBeforeTheHandshakeAreDeliveredAfterItInOrder() throws {
        // Before anything is connected and before any bytes move.
        let serverFirst = PromiseOutcome(pair.server.writeAndFlush(ByteBuffer(string: "HELLO ")))
        try pair.connect()
        let one = PromiseOutcome(pair.client.write(ByteBuffer(string: "one ")))
        let two = PromiseOutcome(pair.client.writeAndFlush(ByteBuffer(string: "two ")))
        let three = PromiseOutcome(pair.client.writeAndFlush(ByteBuffer(string: "three")))
        let serverSecond = PromiseOutcome(pair.server.writeAndFlush(ByteBuffer(string: "securechat")))
        // Only the ClientHello left the client: the plaintext waits.
        let hello = try pair.takeNetworkWrites(of: pair.client)
        XCTAssertEqual(hello.count, 1)
        XCTAssertEqual(hello.first.flatMap(tlsRecords(in:))?.map(\.contentType), [TLSRecordHeader.handshake])
        XCTAssertTrue(one.isPending && two.isPending && three.isPending && serverFirst.isPending)
        try pair.server.writeInbound(hello[0])

        try pair.exchange()
        XCTAssertEqual(pair.serverRecorder.receivedText, "one two three")
        XCTAssertEqual(pair.clientRecorder.receivedText, "HELLO securechat")
        for outcome in [one, two, three, serverFirst, serverSecond] {
            XCTAssertTrue(outcome.succeeded, "\(String(describing: outcome.result))")
        }
    }

    func testDataInTheSamePacketAsTheClientFinishedIsDelivered() throws {
        try pair.connect()
        pair.client.writeAndFlush(ByteBuffer(string: "first line\n"), promise: nil)
        for write in try pair.takeNetworkWrites(of: pair.client) { try pair.server.writeInbound(write) }
        for write in try pair.takeNetworkWrites(of: pair.server) { try pair.client.writeInbound(write) }
        XCTAssertEqual(pair.clientRecorder.sessions.count, 1)
        XCTAssertEqual(pair.serverRecorder.sessions.count, 0)

        // The client's Finished and its first data together, as one TCP segment brings them.
        var segment = ByteBuffer()
        for var write in try pair.takeNetworkWrites(of: pair.client) { segment.writeBuffer(&write) }
        XCTAssertGreaterThanOrEqual(tlsRecords(in: segment)?.count ?? 0, 2)
        try pair.server.writeInbound(segment)
        XCTAssertEqual(pair.serverRecorder.sessions.count, 1)
        XCTAssertEqual(pair.serverRecorder.receivedText, "first line\n")
    }

    func testUnflushedWriteDuringTheHandshakeWaitsForAFlush() throws {
        try pair.connect()
        let early = PromiseOutcome(pair.client.write(ByteBuffer(string: "not yet")))
        try pair.exchange()
        XCTAssertEqual(pair.clientRecorder.sessions.count, 1)
        XCTAssertEqual(pair.serverRecorder.sessions.count, 1)
        XCTAssertEqual(pair.serverRecorder.received, [])
        XCTAssertTrue(early.isPending)

        pair.client.flush()
        try pair.exchange()
        XCTAssertEqual(pair.serverRecorder.receivedText, "not yet")
        XCTAssertTrue(early.succeeded)
    }

    func testUnflushedWriteIsNotSentUntilFlush() throws {
        try pair.handshake()
        let pending = PromiseOutcome(pair.client.write(ByteBuffer(string: "later")))
        XCTAssertEqual(try pair.takeNetworkWrites(of: pair.client).count, 0)
        XCTAssertTrue(pending.isPending)

        pair.client.flush()
        let writes = try pair.takeNetworkWrites(of: pair.client)
        XCTAssertEqual(writes.count, 1)
        for write in writes { try pair.server.writeInbound(write) }
        XCTAssertEqual(pair.serverRecorder.receivedText, "later")
        XCTAssertTrue(pending.succeeded)
    }

    // MARK: Coalescing

    func testWritesBeforeOneFlushLeaveAsOneNetworkWriteAndOneRecord() throws {
        try pair.handshake()
        let lines = ["MSG #lobby alice hi\r\n", "MSG #lobby bob hey\r\n", "MSG #lobby carol yo\r\n"]
        let outcomes = lines.map { PromiseOutcome(pair.client.write(ByteBuffer(string: $0))) }
        XCTAssertEqual(try pair.takeNetworkWrites(of: pair.client).count, 0)
        pair.client.flush()

        let writes = try pair.takeNetworkWrites(of: pair.client)
        XCTAssertEqual(writes.count, 1)
        XCTAssertEqual(writes.first.flatMap(tlsRecords(in:))?.map(\.contentType), [TLSRecordHeader.applicationData])
        for write in writes { try pair.server.writeInbound(write) }
        XCTAssertEqual(pair.serverRecorder.receivedText, lines.joined())
        XCTAssertTrue(outcomes.allSatisfy(\.succeeded))
    }

    func testOneWritePerFlushGivesOneRecordEach() throws {
        try pair.handshake()
        let lines = ["first\n", "second\n", "third\n"]
        for line in lines {
            pair.client.writeAndFlush(ByteBuffer(string: line), promise: nil)
        }
        let writes = try pair.takeNetworkWrites(of: pair.client)
        XCTAssertEqual(writes.count, lines.count)
        XCTAssertEqual(writes.map { tlsRecords(in: $0)?.count }, [1, 1, 1])
        for write in writes { try pair.server.writeInbound(write) }
        XCTAssertEqual(pair.serverRecorder.receivedText, lines.joined())
    }

    func testCoalescedWritesFillRecordsBeforeStartingTheNextOne() throws {
        try pair.handshake()
        let chunks = (0..<3).map { patternBytes(count: 10_000, seed: $0) }
        for chunk in chunks {
            pair.client.write(ByteBuffer(bytes: chunk), promise: nil)
        }
        pair.client.flush()
        let writes = try pair.takeNetworkWrites(of: pair.client)
        XCTAssertEqual(writes.count, 1)
        // 30,000 bytes: one full 16 KiB record and the rest, not one record per write.
        XCTAssertEqual(writes.first.flatMap(tlsRecords(in:))?.count, 2)
        for write in writes { try pair.server.writeInbound(write) }
        XCTAssertTrue(pair.serverRecorder.received == chunks.flatMap { $0 })
    }
}
