import NIOCore
import XCTest

@testable import ChatServer

/// A session's queue holds the hub's rendered lines by reference and gathers them once
/// per flush into its loop's reused buffer: same bytes, same order, same cap as a
/// private copy would give.
final class OutboundQueueTests: XCTestCase {
    private let scratch = OutboundScratch()

    private func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    private func address(of buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withUnsafeReadableBytes { $0.baseAddress }
    }

    func testQueuedLinesLeaveTogetherWithOneFlushPerPass() {
        var queue = OutboundQueue(limit: 100)
        XCTAssertEqual(queue.append(bytes("a\r\n"), scratch: scratch), .queued(scheduleFlush: true))
        XCTAssertEqual(queue.append(bytes("b\r\n"), scratch: scratch), .queued(scheduleFlush: false))
        queue.flushStarted()
        XCTAssertEqual(queue.take(scratch: scratch).map { String(buffer: $0.bytes) }, "a\r\nb\r\n")
        XCTAssertNil(queue.take(scratch: scratch), "taken once")
        XCTAssertEqual(queue.append(bytes("c\r\n"), scratch: scratch), .queued(scheduleFlush: true))
    }

    func testPastTheLimitIsAnOverflowAndNothingStaysQueued() {
        var queue = OutboundQueue(limit: 5)
        XCTAssertEqual(queue.append(bytes("abc"), scratch: scratch), .queued(scheduleFlush: true))
        XCTAssertEqual(queue.append(bytes("def"), scratch: scratch), .overflow(6))
        XCTAssertEqual(queue.queuedBytes, 0)
        XCTAssertNil(queue.take(scratch: scratch))
    }

    func testTheCapCountsExactlyTheBytesQueuedAcrossManyLines() {
        var queue = OutboundQueue(limit: 1000)
        for _ in 0..<100 {
            XCTAssertNotEqual(queue.append(bytes("0123456789"), scratch: scratch), .overflow(0))
        }
        XCTAssertEqual(queue.queuedBytes, 1000, "exactly at the limit is still queued")
        XCTAssertEqual(queue.append(bytes("x"), scratch: scratch), .overflow(1001))
        XCTAssertEqual(queue.queuedBytes, 0)
    }

    func testALoneLineLeavesAsTheBufferTheHubRendered() throws {
        var queue = OutboundQueue(limit: 100)
        let line = bytes("MSG #lobby alice hi\r\n")
        _ = queue.append(line, scratch: scratch)
        let batch = try XCTUnwrap(queue.take(scratch: scratch))
        XCTAssertFalse(batch.isGathered)
        XCTAssertEqual(address(of: batch.bytes), address(of: line), "copied")
    }

    func testManyLinesLeaveInOrderAndTheRenderedLinesStayIntact() throws {
        // Past maxReferencedLines, so some lines are merged into a buffer of the
        // session's own on the way: the order must not change.
        let count = OutboundQueue.maxReferencedLines * 3 + 7
        let lines = (0..<count).map { bytes("MSG #lobby user\($0 % 10) line \($0) \(String(repeating: "x", count: $0 % 50))\r\n") }
        var queue = OutboundQueue(limit: 1 << 20)
        for line in lines {
            _ = queue.append(line, scratch: scratch)
        }
        let expected = lines.map { String(buffer: $0) }.joined()
        XCTAssertEqual(queue.queuedBytes, expected.utf8.count)
        let batch = try XCTUnwrap(queue.take(scratch: scratch))
        XCTAssertTrue(batch.isGathered)
        XCTAssertEqual(String(buffer: batch.bytes), expected)
        // Other recipients still send the hub's buffers: gathering must not touch them.
        XCTAssertEqual(String(buffer: lines[0]), "MSG #lobby user0 line 0 \r\n")
        XCTAssertEqual(lines.map { String(buffer: $0) }.joined(), expected)
        XCTAssertEqual(queue.queuedBytes, 0)
    }

    func testAStalledQueueHoldsItsBytesInOneBufferOfItsOwnInOrder() throws {
        var queue = OutboundQueue(limit: 1000)
        let lines = (0..<5).map { bytes("MSG #lobby alice \($0)\r\n") }
        for line in lines.prefix(3) { _ = queue.append(line, scratch: scratch) }
        // A pass whose flush found the channel not writable.
        queue.compact(scratch: scratch)
        for line in lines.suffix(2) { _ = queue.append(line, scratch: scratch) }
        queue.compact(scratch: scratch)
        XCTAssertEqual(queue.queuedBytes, lines.reduce(0) { $0 + $1.readableBytes })
        let batch = try XCTUnwrap(queue.take(scratch: scratch))
        XCTAssertFalse(batch.isGathered, "not one buffer of its own")
        XCTAssertNotEqual(address(of: batch.bytes), address(of: lines[0]))
        XCTAssertEqual(String(buffer: batch.bytes), lines.map { String(buffer: $0) }.joined())
    }

    func testTheNextPassGathersIntoTheSameBufferOnceTheWriteHasLetGo() throws {
        var queue = OutboundQueue(limit: 1000)
        var first: UnsafeRawPointer?
        do {
            _ = queue.append(bytes("a\r\n"), scratch: scratch)
            _ = queue.append(bytes("b\r\n"), scratch: scratch)
            let batch = try XCTUnwrap(queue.take(scratch: scratch))
            first = address(of: batch.bytes)
            scratch.keep(gathered: batch.bytes)
        }
        XCTAssertGreaterThan(scratch.retainedBytes, 0)
        _ = queue.append(bytes("c\r\n"), scratch: scratch)
        _ = queue.append(bytes("d\r\n"), scratch: scratch)
        let batch = try XCTUnwrap(queue.take(scratch: scratch))
        XCTAssertEqual(String(buffer: batch.bytes), "c\r\nd\r\n")
        XCTAssertEqual(address(of: batch.bytes), first, "not reused")
    }

    func testAGatheredBufferAWriteStillHoldsIsNeverOverwritten() throws {
        var queue = OutboundQueue(limit: 1000)
        _ = queue.append(bytes("a\r\n"), scratch: scratch)
        _ = queue.append(bytes("b\r\n"), scratch: scratch)
        // Like a socket that took only part of a write: the channel keeps the buffer.
        let pending = try XCTUnwrap(queue.take(scratch: scratch)).bytes
        scratch.keep(gathered: pending)
        _ = queue.append(bytes("c\r\n"), scratch: scratch)
        _ = queue.append(bytes("d\r\n"), scratch: scratch)
        let next = try XCTUnwrap(queue.take(scratch: scratch))
        XCTAssertEqual(String(buffer: next.bytes), "c\r\nd\r\n")
        XCTAssertEqual(String(buffer: pending), "a\r\nb\r\n")
    }

    func testAnIdleQueueHoldsNoLinesAndTheLoopKeepsABoundedAmount() throws {
        var queue = OutboundQueue(limit: 1 << 20)
        let big = ByteBuffer(repeating: UInt8(ascii: "z"), count: OutboundScratch.maxGatherCapacity)
        _ = queue.append(big, scratch: scratch)
        _ = queue.append(bytes("\r\n"), scratch: scratch)
        let batch = try XCTUnwrap(queue.take(scratch: scratch))
        XCTAssertEqual(batch.bytes.readableBytes, OutboundScratch.maxGatherCapacity + 2)
        scratch.keep(gathered: batch.bytes)
        XCTAssertLessThanOrEqual(scratch.retainedBytes, 8 * 1024, "a burst's buffer was kept")

        // Many sessions each queuing a few lines in the same pass, then all flushed:
        // their lists come back to the loop, which keeps a bounded number of them.
        var others = (0..<(OutboundScratch.maxSpareLines / 4)).map { _ in OutboundQueue(limit: 1 << 20) }
        for index in others.indices {
            for _ in 0..<10 { _ = others[index].append(bytes("x"), scratch: scratch) }
        }
        for index in others.indices {
            others[index].discard(scratch: scratch)
        }
        XCTAssertGreaterThan(scratch.retainedBytes, 0, "no list kept for the next pass")
        XCTAssertLessThanOrEqual(
            scratch.retainedBytes,
            OutboundScratch.maxSpareLines * MemoryLayout<ByteBuffer>.stride + OutboundScratch.maxGatherCapacity
        )
        scratch.passEnded()
        XCTAssertGreaterThan(scratch.retainedBytes, 0, "the lists this pass used were dropped")
        // A pass that needed none: the burst's lists are not kept while the server idles.
        scratch.passEnded()
        XCTAssertEqual(scratch.retainedBytes, 0)
    }
}
