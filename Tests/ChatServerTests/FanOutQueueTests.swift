import NIOConcurrencyHelpers
import NIOEmbedded
import XCTest

@testable import ChatServer

/// How stored messages reach the fan-out loop: in the log's order, and never more
/// than a pass's burst between two flushes of the loop.
final class FanOutQueueTests: XCTestCase {
    private let loop = EmbeddedEventLoop()
    private let order = NIOLockedValueBox<[String]>([])

    private func work(_ name: String) -> @Sendable () -> Void {
        { [order] in order.withLockedValue { $0.append(name) } }
    }

    /// A task queued right after the flush runs between the first pass and the next,
    /// as the loop's flush of recipients' output does.
    private func flushAndMarkTheFirstPass(_ queue: FanOutQueue) {
        queue.flush()
        loop.execute(work("end of pass"))
        loop.run()
    }

    func testAPassStopsBeforeTheItemThatWouldExceedItsBurst() {
        let queue = FanOutQueue(loop: loop, bytesPerPass: 8 * 1024)
        for name in ["a", "b", "c"] {
            queue.add(bytes: 3_000, work(name))
        }
        flushAndMarkTheFirstPass(queue)
        XCTAssertEqual(order.withLockedValue { $0 }, ["a", "b", "end of pass", "c"])
    }

    func testAnItemLargerThanAPassStillGoesOutAlone() {
        let queue = FanOutQueue(loop: loop, bytesPerPass: 4 * 1024)
        queue.add(bytes: 10_000, work("big"))
        queue.add(bytes: 100, work("small"))
        flushAndMarkTheFirstPass(queue)
        XCTAssertEqual(order.withLockedValue { $0 }, ["big", "end of pass", "small"])
    }

    func testItemsAddedDuringAPassWaitForTheNextFlushBehindTheRest() {
        let queue = FanOutQueue(loop: loop, bytesPerPass: 4 * 1024)
        queue.add(bytes: 3_000, work("a"))
        queue.add(bytes: 3_000, work("b"))
        queue.flush()
        queue.add(bytes: 100, work("c"))
        loop.run()
        XCTAssertEqual(order.withLockedValue { $0 }, ["a", "b", "c"])
    }
}
