import ChatCrypto
import XCTest

final class SecretComparisonTests: XCTestCase {
    func testEqualBytes() {
        XCTAssertTrue(SecretComparison.equal([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        XCTAssertTrue(SecretComparison.equal(Array("token".utf8), "token".utf8))
        XCTAssertTrue(SecretComparison.equal(Data([9, 8]), [9, 8] as [UInt8]))
    }

    func testDifferentBytes() {
        XCTAssertFalse(SecretComparison.equal([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        XCTAssertFalse(SecretComparison.equal([0, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
    }

    func testLengthMismatch() {
        XCTAssertFalse(SecretComparison.equal([1, 2] as [UInt8], [1, 2, 3] as [UInt8]))
        XCTAssertFalse(SecretComparison.equal([] as [UInt8], [0] as [UInt8]))
    }

    func testEmptyInputsDoNotCrash() {
        XCTAssertTrue(SecretComparison.equal([] as [UInt8], [] as [UInt8]))
        XCTAssertTrue(SecretComparison.equal(Data(), ArraySlice<UInt8>()))
    }

    func testSlicesCompareByContent() {
        let bytes: [UInt8] = [7, 1, 2, 3, 7]
        XCTAssertTrue(SecretComparison.equal(bytes[1...3], [1, 2, 3] as [UInt8]))
    }
}
