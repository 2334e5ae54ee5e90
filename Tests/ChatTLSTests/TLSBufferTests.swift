@testable import ChatTLS
import NIOCore
import XCTest

/// How records map onto reads, and what a connection keeps between events: a server
/// holds thousands of idle connections, so buffers sized for a burst must not stay.
final class TLSBufferTests: EmbeddedPairTestCase {
    func testHandshakeAndRecordsArrivingOneByteAtATimeStillWork() throws {
        try pair.connect()
        try pair.exchange(readSize: 1)
        XCTAssertEqual(pair.clientRecorder.sessions.count, 1, "\(pair.clientRecorder.errors)")
        XCTAssertEqual(pair.serverRecorder.sessions.count, 1, "\(pair.serverRecorder.errors)")

        // Several records in one write, then cut into single bytes.
        let upload = patternBytes(count: 40_000)
        pair.client.write(ByteBuffer(string: "LOGIN alice secret\r\n"), promise: nil)
        pair.client.writeAndFlush(ByteBuffer(bytes: upload), promise: nil)
        pair.server.writeAndFlush(ByteBuffer(string: "OK\r\n"), promise: nil)
        try pair.exchange(readSize: 1)
        XCTAssertTrue(pair.serverRecorder.received == Array("LOGIN alice secret\r\n".utf8) + upload)
        XCTAssertEqual(pair.clientRecorder.receivedText, "OK\r\n")
        XCTAssertTrue(pair.serverRecorder.errors.isEmpty, "\(pair.serverRecorder.errors)")
    }

    func testRecordsCutAtOddPlacesArriveIntact() throws {
        try pair.handshake()
        let upload = patternBytes(count: 100_000, seed: 3)
        pair.client.writeAndFlush(ByteBuffer(bytes: upload), promise: nil)
        try pair.exchange(readSize: 7_001)
        XCTAssertTrue(pair.serverRecorder.received == upload, "received \(pair.serverRecorder.received.count) bytes")
    }

    func testAShortLineArrivesInABufferSizedToItsRecord() throws {
        try pair.handshake()
        pair.client.writeAndFlush(ByteBuffer(string: "MSG #lobby hello everyone\r\n"), promise: nil)
        try pair.exchange()
        XCTAssertEqual(pair.serverRecorder.receivedText, "MSG #lobby hello everyone\r\n")
        // Not the 16 KiB a record could hold: a decoder that keeps a partial line keeps
        // this buffer.
        XCTAssertLessThanOrEqual(pair.serverRecorder.receivedCapacities.max() ?? 0, 256)
    }

    func testAConnectionKeepsNoBuffersAfterAOneMebibyteBurst() throws {
        try pair.handshake()
        let burst = patternBytes(count: 1 << 20)
        pair.client.writeAndFlush(ByteBuffer(bytes: burst), promise: nil)
        pair.server.writeAndFlush(ByteBuffer(bytes: burst), promise: nil)
        try pair.exchange(readSize: 65_536)
        XCTAssertTrue(pair.serverRecorder.received == burst)
        XCTAssertTrue(pair.clientRecorder.received == burst)

        for channel in [pair.client, pair.server] {
            let handler = try channel.pipeline.syncOperations.handler(type: TLSHandler.self)
            XCTAssertEqual(handler.heldBufferCapacity, 0)
        }
    }

    func testOneFlushOfManySmallWritesLeavesAsFullRecordsInOneWrite() throws {
        try pair.handshake()
        let lines = (0..<2_000).map { "MSG #lobby line \($0)\r\n" }
        for line in lines { pair.server.write(ByteBuffer(string: line), promise: nil) }
        pair.server.flush()
        let writes = try pair.takeNetworkWrites(of: pair.server)
        XCTAssertEqual(writes.count, 1)
        let records = try XCTUnwrap(writes.first.flatMap(tlsRecords(in:)))
        let total = lines.reduce(0) { $0 + $1.utf8.count }
        XCTAssertEqual(records.count, (total + 16_383) / 16_384)
        for write in writes { try pair.client.writeInbound(write) }
        XCTAssertEqual(pair.clientRecorder.receivedText, lines.joined())
    }

    func testFlushesWhileEarlierRecordsAreStillUnsentSpoilNothing() throws {
        try pair.handshake()
        // Nothing is read from the server's channel between these flushes, as when a
        // socket takes only part of a write: each flush must leave the records the
        // channel still holds alone, whether its plaintext was one write or several.
        var sent = ""
        for round in 0..<4 {
            let lines = (0..<(300 + round * 500)).map { "MSG #lobby user\(round) line \($0)\r\n" }
            if round % 2 == 0 {
                pair.server.writeAndFlush(ByteBuffer(string: lines.joined()), promise: nil)
            } else {
                for line in lines { pair.server.write(ByteBuffer(string: line), promise: nil) }
                pair.server.flush()
            }
            pair.client.writeAndFlush(ByteBuffer(string: "PING \(round)\r\n"), promise: nil)
            sent += lines.joined()
        }
        try pair.exchange()
        XCTAssertTrue(pair.clientRecorder.receivedText == sent, "received \(pair.clientRecorder.receivedText.utf8.count) of \(sent.utf8.count) bytes")
        XCTAssertEqual(pair.serverRecorder.receivedText, "PING 0\r\nPING 1\r\nPING 2\r\nPING 3\r\n")
        XCTAssertTrue(pair.clientRecorder.errors.isEmpty, "\(pair.clientRecorder.errors)")
    }

    func testTheLoopKeepsABoundedBufferForTheNextFlushAndTheConnectionNone() throws {
        try pair.handshake()
        pair.server.writeAndFlush(ByteBuffer(string: "MSG #lobby alice hi\r\n"), promise: nil)
        try pair.exchange()
        XCTAssertGreaterThan(pair.writeBuffers.keptCapacity, 0, "nothing kept for the next flush")

        let burst = patternBytes(count: 1 << 20)
        pair.server.writeAndFlush(ByteBuffer(bytes: burst), promise: nil)
        try pair.exchange()
        XCTAssertTrue(pair.clientRecorder.received.suffix(burst.count) == burst)
        XCTAssertLessThanOrEqual(pair.writeBuffers.keptCapacity, 2 * TLSWriteBuffers.maxKeptCapacity, "a burst's buffer was kept")
        let handler = try pair.server.pipeline.syncOperations.handler(type: TLSHandler.self)
        XCTAssertEqual(handler.heldBufferCapacity, 0)
    }
}
