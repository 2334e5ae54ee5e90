import ChatCrypto
import ChatProtocol
import XCTest

/// ChatProtocol writes `crypto_box`'s sizes as plain numbers, because it does not
/// import ChatCrypto; this target sees both and checks that they agree.
final class ProtocolLimitsTests: XCTestCase {
    func testKeyAndPayloadSizesAreChatCryptos() {
        XCTAssertEqual(ProtocolLimits.publicKeyLength, BoxPublicKey.length)
        XCTAssertEqual(ProtocolLimits.minEncryptedPayloadBytes, DirectMessageBox.sealedLength(plaintextLength: 1))
    }

    func testTheLargestEncryptedMessageFitsOneLine() {
        let longestName = String(repeating: "x", count: 32)
        let line = "/emsg \(longestName) " + String(repeating: "A", count: ProtocolLimits.maxEncryptedPayloadLength)
        XCTAssertLessThanOrEqual(line.utf8.count, ProtocolLimits.defaultMaxLineLength)
    }
}
