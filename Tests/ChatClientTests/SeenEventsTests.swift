@testable import ChatClient
import ChatTestSupport
import Foundation
import XCTest

/// Deduplication by id and where the next catch-up starts, without sockets; and
/// the file that keeps it.
final class SeenEventsTests: XCTestCase {
    func testRepeatsAreRefusedAndLiveEventsMoveTheLastSeenId() {
        var seen = SeenEvents(lastSeen: 10)
        XCTAssertFalse(seen.record(9), "older than what was saved")
        XCTAssertFalse(seen.record(10))
        XCTAssertTrue(seen.record(11))
        XCTAssertFalse(seen.record(11))
        XCTAssertEqual(seen.lastSeen, 11)
        // Another conversation's line may come a little out of order: still news.
        XCTAssertTrue(seen.record(13))
        XCTAssertTrue(seen.record(12))
        XCTAssertFalse(seen.record(12))
        XCTAssertEqual(seen.lastSeen, 13)
    }

    func testDuringACatchUpOnlyCompletedPagesMoveTheLastSeenId() {
        var seen = SeenEvents(lastSeen: 10)
        seen.catchUpStarted()
        // A live line overtakes the page: 50 is shown, but 11...49 have not arrived.
        XCTAssertTrue(seen.record(50))
        XCTAssertEqual(seen.lastSeen, 10)
        XCTAssertTrue(seen.record(11))
        XCTAssertTrue(seen.record(20))
        XCTAssertEqual(seen.lastSeen, 10, "a crash now must fetch 21...49 next time")
        seen.pageCompleted(through: 20)
        XCTAssertEqual(seen.lastSeen, 20)
        XCTAssertFalse(seen.record(50), "the live one again, in the next page")
        XCTAssertTrue(seen.record(30))
        seen.catchUpFinished(through: 50)
        XCTAssertEqual(seen.lastSeen, 50)
        XCTAssertTrue(seen.record(51))
        XCTAssertEqual(seen.lastSeen, 51)
    }

    func testAFinishedCatchUpStartsTheNextOneAfterTheNewestShown() {
        var seen = SeenEvents(lastSeen: nil)
        seen.catchUpStarted()
        XCTAssertTrue(seen.record(7))  // an offline DM, delivered after login
        seen.catchUpFinished(through: nil)  // the page held nothing new
        XCTAssertEqual(seen.lastSeen, 7)
        XCTAssertFalse(seen.record(7))
    }

    func testAFailedCatchUpLeavesTheLastSeenIdWhereItWas() {
        var seen = SeenEvents(lastSeen: 10)
        seen.catchUpStarted()
        seen.catchUpFailed()
        XCTAssertTrue(seen.record(40))
        XCTAssertEqual(seen.lastSeen, 10, "11...39 were never fetched")
        XCTAssertFalse(seen.record(40))
        seen.catchUpStarted()
        seen.catchUpFinished(through: 39)
        XCTAssertEqual(seen.lastSeen, 40)
    }

    func testTheFileIsPrivateAndToleratesGarbage() throws {
        let config = ConfigDirectory(url: try makeTemporaryDirectory().appendingPathComponent("securechat"))
        let file = LastSeenFile(config: config, user: "Alice", serverID: "spki-0123")
        XCTAssertNil(try file.load())
        try file.save(42)
        XCTAssertEqual(try file.load(), 42)
        XCTAssertEqual(file.url.lastPathComponent, "alice@spki-0123")
        XCTAssertEqual(file.url.deletingLastPathComponent().lastPathComponent, "seen")
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(file.url))
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(file.url.deletingLastPathComponent()))
        try "not a number\n".write(to: file.url, atomically: true, encoding: .utf8)
        XCTAssertNil(try file.load())
    }
}

/// The pauses between reconnect tries.
final class ReconnectBackoffTests: XCTestCase {
    func testDoublesFromHalfASecondToThirtySecondsAndStartsOverWhenConnected() {
        var backoff = ReconnectBackoff()
        let delays = (0..<9).map { _ in backoff.nextDelay(jitter: 1) }
        XCTAssertEqual(
            delays,
            [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30), .seconds(30)])
        backoff.reset()
        XCTAssertEqual(backoff.nextDelay(jitter: 1), .milliseconds(500))
    }

    func testJitterSpreadsEachPauseButNeverPastTheCap() {
        var low = ReconnectBackoff()
        var high = ReconnectBackoff()
        XCTAssertEqual(low.nextDelay(jitter: 0), .milliseconds(375), "clamped to the range")
        XCTAssertEqual(high.nextDelay(jitter: 9), .milliseconds(625))
        for _ in 0..<10 { _ = high.nextDelay(jitter: 1.25) }
        XCTAssertEqual(high.nextDelay(jitter: 1.25), .seconds(30))
    }
}
