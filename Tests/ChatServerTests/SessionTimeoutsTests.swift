import NIOCore
import XCTest

@testable import ChatServer

/// How often the per-loop pass checks time limits: late by at most a quarter of the
/// shortest limit, and never busier than every 10 ms nor lazier than once a second.
final class SessionTimeoutsTests: XCTestCase {
    func testDefaultLimitsAreCheckedEverySecond() {
        XCTAssertEqual(SessionTimeouts.interval(for: .seconds(30), .seconds(300), .seconds(60)), .seconds(1))
    }

    func testShortLimitsAreCheckedAtAQuarterOfTheShortest() {
        XCTAssertEqual(SessionTimeouts.interval(for: .milliseconds(300), .milliseconds(400), .seconds(30)), .milliseconds(75))
    }

    func testVeryShortLimitsDoNotSpinTheLoop() {
        XCTAssertEqual(SessionTimeouts.interval(for: .milliseconds(1), .seconds(300), .seconds(60)), .milliseconds(10))
    }

    func testLimitsThatAreOffAreIgnored() {
        XCTAssertEqual(SessionTimeouts.interval(for: .zero, .milliseconds(800), .seconds(60)), .milliseconds(200))
    }
}
