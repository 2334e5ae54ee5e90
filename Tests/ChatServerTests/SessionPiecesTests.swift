import ChatProtocol
import NIOCore
import XCTest

@testable import ChatServer

/// The session's pure decision types: no channel, no clock but the one passed in.
final class SessionPiecesTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    // MARK: InputGate

    private func gate(rate: Double = 0, burst: Int = 20, lines: Int = 16, bytes: Int = 16 * 1024) -> InputGate {
        InputGate(linesPerSecond: rate, burst: burst, maxLinesBeforeLogin: lines, maxBytesBeforeLogin: bytes, now: start)
    }

    func testLinesPassInOrderWhenNothingBlocks() {
        var gate = gate()
        for text in ["a", "b", "c"] {
            XCTAssertEqual(gate.received(.text(text), loggedIn: true), .held)
        }
        XCTAssertEqual(gate.next(now: start), .handle(.text("a")))
        XCTAssertEqual(gate.next(now: start), .handle(.text("b")))
        XCTAssertEqual(gate.next(now: start), .handle(.text("c")))
        XCTAssertEqual(gate.next(now: start), .idle)
    }

    func testAnOperationHoldsLinesAndReadsUntilItEnds() {
        var gate = gate()
        gate.operationStarted()
        _ = gate.received(.text("later"), loggedIn: true)
        XCTAssertEqual(gate.next(now: start), .idle)
        XCTAssertFalse(gate.readRequested(), "no reading while blocked")
        XCTAssertFalse(gate.takeHeldRead())
        gate.operationEnded()
        XCTAssertTrue(gate.takeHeldRead(), "the held read goes on once unblocked")
        XCTAssertFalse(gate.takeHeldRead(), "once")
        XCTAssertEqual(gate.next(now: start), .handle(.text("later")))
        XCTAssertTrue(gate.readRequested())
    }

    func testTheRateLimitDelaysWithoutDropping() {
        var gate = gate(rate: 5, burst: 2)
        for index in 1...4 {
            _ = gate.received(.text("\(index)"), loggedIn: true)
        }
        XCTAssertEqual(gate.next(now: start), .handle(.text("1")))
        XCTAssertEqual(gate.next(now: start), .handle(.text("2")))
        XCTAssertEqual(gate.next(now: start), .wait(.milliseconds(200)))
        XCTAssertEqual(gate.next(now: start), .idle, "waiting")
        gate.rateWaitEnded()
        XCTAssertEqual(gate.next(now: start + .milliseconds(200)), .handle(.text("3")))
        XCTAssertEqual(gate.next(now: start + .milliseconds(200)), .wait(.milliseconds(200)))
        gate.rateWaitEnded()
        XCTAssertEqual(gate.next(now: start + .milliseconds(400)), .handle(.text("4")))
    }

    func testBeforeLoginLinesAreBoundedByCountAndBytes() {
        var byCount = gate(lines: 3)
        byCount.operationStarted()
        for _ in 1...3 {
            XCTAssertEqual(byCount.received(.text("/ping"), loggedIn: false), .held)
        }
        XCTAssertEqual(byCount.received(.text("/ping"), loggedIn: false), .flood)

        var byBytes = gate(bytes: 10)
        byBytes.operationStarted()
        XCTAssertEqual(byBytes.received(.text("12345"), loggedIn: false), .held)
        XCTAssertEqual(byBytes.received(.text("123456"), loggedIn: false), .flood)

        // Handled lines free their place.
        var freed = gate(lines: 2)
        for _ in 1...10 {
            XCTAssertEqual(freed.received(.text("/ping"), loggedIn: false), .held)
            XCTAssertEqual(freed.next(now: start), .handle(.text("/ping")))
        }
        // After login only the rate limit and the read hold bound the queue.
        var loggedIn = gate(lines: 1)
        loggedIn.operationStarted()
        for _ in 1...100 {
            XCTAssertEqual(loggedIn.received(.text("x"), loggedIn: true), .held)
        }
    }

    // MARK: SessionDeadlines

    func testLoginGraceExpiresOnceUnlessLoggedIn() {
        var deadlines = SessionDeadlines(loginGracePeriod: .seconds(30), idleTimeout: .seconds(300), pingTimeout: .seconds(60), now: start)
        deadlines.started(now: start)
        XCTAssertEqual(deadlines.check(now: start + .seconds(29)), .none)
        XCTAssertEqual(deadlines.check(now: start + .seconds(30)), .loginGraceExpired)
        XCTAssertEqual(deadlines.check(now: start + .seconds(31)), .none)

        var loggedIn = SessionDeadlines(loginGracePeriod: .seconds(30), idleTimeout: .seconds(300), pingTimeout: .seconds(60), now: start)
        loggedIn.started(now: start)
        loggedIn.loggedIn()
        XCTAssertEqual(loggedIn.check(now: start + .seconds(31)), .none)
    }

    func testSilencePingsThenGivesUpAndAnyLineAnswers() {
        var deadlines = SessionDeadlines(loginGracePeriod: .seconds(30), idleTimeout: .seconds(300), pingTimeout: .seconds(60), now: start)
        deadlines.started(now: start)
        deadlines.loggedIn()
        XCTAssertEqual(deadlines.check(now: start + .seconds(299)), .none)
        guard case .ping = deadlines.check(now: start + .seconds(300)) else { return XCTFail("no PING") }
        XCTAssertEqual(deadlines.check(now: start + .seconds(330)), .none, "one PING per silence")
        deadlines.inputReceived(now: start + .seconds(340))
        XCTAssertEqual(deadlines.check(now: start + .seconds(361)), .none, "answered")
        guard case .ping = deadlines.check(now: start + .seconds(640)) else { return XCTFail("no second PING") }
        XCTAssertEqual(deadlines.check(now: start + .seconds(700)), .pingUnanswered)
    }
}
