import ChatCrypto
import XCTest

final class PasswordCostTests: XCTestCase {
    func testPresetsMatchLibsodium() {
        XCTAssertEqual(PasswordCost.interactive.opsLimit, 2)
        XCTAssertEqual(PasswordCost.interactive.memLimit, 64 << 20)
        XCTAssertEqual(PasswordCost.moderate.opsLimit, 3)
        XCTAssertEqual(PasswordCost.moderate.memLimit, 256 << 20)
        XCTAssertEqual(PasswordCost.sensitive.opsLimit, 4)
        XCTAssertEqual(PasswordCost.sensitive.memLimit, 1 << 30)
        XCTAssertEqual(PasswordCost.minimum.opsLimit, 1)
        XCTAssertEqual(PasswordCost.minimum.memLimit, 8192)
    }

    func testNames() {
        XCTAssertEqual(PasswordCost(name: "interactive"), .interactive)
        XCTAssertEqual(PasswordCost(name: "moderate"), .moderate)
        XCTAssertEqual(PasswordCost(name: "sensitive"), .sensitive)
        XCTAssertEqual(PasswordCost(name: "minimum"), .minimum)
        XCTAssertNil(PasswordCost(name: "Interactive"))
        XCTAssertNil(PasswordCost(name: ""))
        XCTAssertNil(PasswordCost(name: "fast"))
    }

    func testDescription() {
        XCTAssertEqual(PasswordCost.interactive.description, "interactive (t=2, 64 MiB)")
        XCTAssertEqual(PasswordCost.sensitive.description, "sensitive (t=4, 1024 MiB)")
        XCTAssertEqual(PasswordCost.minimum.description, "minimum (t=1, 8 KiB)")
    }
}
