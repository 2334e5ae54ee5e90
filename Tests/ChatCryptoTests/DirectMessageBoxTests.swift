import ChatCrypto
import XCTest

final class DirectMessageBoxTests: XCTestCase {
    let alice = BoxKeyPair.generate()
    let bob = BoxKeyPair.generate()

    func testRoundTripEitherDirection() throws {
        let message = Array("meet at noon — ünïcode too".utf8)
        let sealed = DirectMessageBox.seal(message, to: bob.publicKey, from: alice)
        XCTAssertEqual(sealed.count, DirectMessageBox.sealedLength(plaintextLength: message.count))
        XCTAssertEqual(try DirectMessageBox.open(sealed, from: alice.publicKey, to: bob), message)
        let reply = DirectMessageBox.seal([], to: alice.publicKey, from: bob)
        XCTAssertEqual(try DirectMessageBox.open(reply, from: bob.publicKey, to: alice), [])
    }

    func testEverySealUsesAFreshNonce() {
        let one = DirectMessageBox.seal([1, 2, 3], to: bob.publicKey, from: alice)
        let two = DirectMessageBox.seal([1, 2, 3], to: bob.publicKey, from: alice)
        XCTAssertNotEqual(Array(one.prefix(24)), Array(two.prefix(24)))
        XCTAssertNotEqual(one, two)
    }

    func testAnyChangedByteIsDetected() {
        let sealed = DirectMessageBox.seal(Array("tamper with me".utf8), to: bob.publicKey, from: alice)
        for index in sealed.indices {
            var changed = sealed
            changed[index] ^= 0x01
            XCTAssertThrowsError(try DirectMessageBox.open(changed, from: alice.publicKey, to: bob)) { error in
                XCTAssertEqual(error as? DirectMessageBoxError, .forged, "byte \(index)")
            }
        }
    }

    func testTruncationIsDetected() {
        let sealed = DirectMessageBox.seal(Array("cut".utf8), to: bob.publicKey, from: alice)
        for length in 0..<sealed.count {
            XCTAssertThrowsError(try DirectMessageBox.open(Array(sealed.prefix(length)), from: alice.publicKey, to: bob)) { error in
                XCTAssertEqual(error as? DirectMessageBoxError, length < 40 ? .truncated : .forged, "length \(length)")
            }
        }
    }

    func testTheWrongKeysDoNotOpenIt() {
        let carol = BoxKeyPair.generate()
        let sealed = DirectMessageBox.seal(Array("for bob".utf8), to: bob.publicKey, from: alice)
        XCTAssertThrowsError(try DirectMessageBox.open(sealed, from: alice.publicKey, to: carol))
        XCTAssertThrowsError(try DirectMessageBox.open(sealed, from: carol.publicKey, to: bob), "another sender's key does not verify")
    }
}

final class BoxKeyTests: XCTestCase {
    func testPublicKeysAreCanonicalBase64Of32Bytes() {
        let key = BoxKeyPair.generate().publicKey
        XCTAssertEqual(key.base64.count, 44)
        XCTAssertEqual(BoxPublicKey(base64: key.base64), key)
        XCTAssertNil(BoxPublicKey(base64: String(key.base64.dropLast())))
        XCTAssertNil(BoxPublicKey(base64: key.base64 + "="))
        XCTAssertNil(BoxPublicKey(base64: " " + key.base64.dropFirst()))
        XCTAssertNil(BoxPublicKey(base64: "AAAA"))
        XCTAssertNil(BoxPublicKey(bytes: [UInt8](repeating: 0, count: 31)))
        XCTAssertNotEqual(BoxKeyPair.generate().publicKey, key)
    }

    func testFingerprints() {
        // SHA-256("abc"), FIPS 180-2.
        XCTAssertEqual(
            SHA256.colonHex(SHA256.hash(Array("abc".utf8))),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        )
        XCTAssertEqual(SHA256.hash([]).count, 32)
        let digest = SHA256.hash([9])
        XCTAssertEqual(SHA256.parseColonHex(SHA256.colonHex(digest)), digest)
        XCTAssertEqual(SHA256.parseColonHex(SHA256.colonHex(digest).lowercased()), digest)
        XCTAssertNil(SHA256.parseColonHex("AB:CD"))
        XCTAssertNil(SHA256.parseColonHex(String(repeating: "ZZ:", count: 31) + "ZZ"))

        let key = BoxPublicKey(bytes: [UInt8](repeating: 7, count: 32))!
        let shown = key.fingerprint.description
        XCTAssertEqual(shown.split(separator: " ").count, 8)
        XCTAssertTrue(shown.split(separator: " ").allSatisfy { $0.count == 4 })
        XCTAssertEqual(
            shown.replacingOccurrences(of: " ", with: ""),
            SHA256.colonHex(SHA256.hash(key.bytes)).replacingOccurrences(of: ":", with: "").prefix(32).description)
    }
}
