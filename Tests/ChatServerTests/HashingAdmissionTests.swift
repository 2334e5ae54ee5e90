import XCTest

@testable import ChatServer

final class HashingAdmissionTests: XCTestCase {
    func testCapacityIsThreadsPlusQueue() {
        var admission = HashingAdmission(threads: 2, maxQueued: 3)
        XCTAssertEqual(admission.capacity, 5)
        for _ in 0..<5 {
            XCTAssertTrue(admission.admit(.login))
        }
        XCTAssertFalse(admission.admit(.login))
        XCTAssertFalse(admission.admit(.passwordChange))
        admission.finish(.login)
        XCTAssertTrue(admission.admit(.passwordChange))
    }

    func testPasswordChangesHoldAtMostHalfTheThreads() {
        var admission = HashingAdmission(threads: 4, maxQueued: 10)
        XCTAssertEqual(admission.passwordChangeShare, 2)
        XCTAssertTrue(admission.admit(.passwordChange))
        XCTAssertTrue(admission.admit(.passwordChange))
        XCTAssertFalse(admission.admit(.passwordChange))
        XCTAssertEqual(admission.inFlight, 2, "a refused change takes no place")
        XCTAssertTrue(admission.admit(.login))
        admission.finish(.passwordChange)
        XCTAssertTrue(admission.admit(.passwordChange))
    }

    func testOneThreadStillAllowsOnePasswordChangeAndNoQueue() {
        var admission = HashingAdmission(threads: 1, maxQueued: 0)
        XCTAssertEqual(admission.capacity, 1)
        XCTAssertEqual(admission.passwordChangeShare, 1)
        XCTAssertTrue(admission.admit(.passwordChange))
        XCTAssertFalse(admission.admit(.login))
        admission.finish(.passwordChange)
        XCTAssertTrue(admission.isIdle)
    }
}
