import ChatCrypto
import XCTest

final class SecretKeyFileTests: XCTestCase {
    let keys = BoxKeyPair.generate()

    func testRoundTripWithThePassword() throws {
        let text = try SecretKeyFile.seal(keys, password: "correct horse", cost: .minimum)
        XCTAssertTrue(text.hasPrefix("securechat-secret-key v1\nkdf argon2id13 "))
        XCTAssertEqual(try SecretKeyFile.open(text, password: "correct horse").publicKey, keys.publicKey)
        XCTAssertEqual(try SecretKeyFile.publicKey(in: text), keys.publicKey)
        XCTAssertTrue(text.contains("public-key \(keys.publicKey.base64)\n"))
        let opened = try SecretKeyFile.open(text, password: "correct horse")
        let sealed = DirectMessageBox.seal([1], to: BoxKeyPair.generate().publicKey, from: opened)
        XCTAssertEqual(sealed.count, 41)
    }

    func testTheOpenedKeyIsTheSameSecret() throws {
        let text = try SecretKeyFile.seal(keys, password: "pw", cost: .minimum)
        let opened = try SecretKeyFile.open(text, password: "pw")
        let peer = BoxKeyPair.generate()
        let sealed = DirectMessageBox.seal(Array("x".utf8), to: opened.publicKey, from: peer)
        XCTAssertEqual(try DirectMessageBox.open(sealed, from: peer.publicKey, to: keys), Array("x".utf8))
    }

    func testAWrongPasswordIsRefused() throws {
        let text = try SecretKeyFile.seal(keys, password: "right", cost: .minimum)
        for wrong in ["wrong", "", "right ", "Right"] {
            XCTAssertThrowsError(try SecretKeyFile.open(text, password: wrong)) { error in
                XCTAssertEqual(error as? SecretKeyFileError, .wrongPassword, wrong)
            }
        }
    }

    func testSealingTwiceGivesDifferentFiles() throws {
        XCTAssertNotEqual(try SecretKeyFile.seal(keys, password: "pw", cost: .minimum), try SecretKeyFile.seal(keys, password: "pw", cost: .minimum))
    }

    func testDamagedFilesAreRefused() throws {
        let text = try SecretKeyFile.seal(keys, password: "pw", cost: .minimum)
        let lines = text.split(separator: "\n").map(String.init)
        func replacing(_ prefix: String, with line: String?) -> String {
            lines.compactMap { $0.hasPrefix(prefix) ? line : $0 }.joined(separator: "\n")
        }
        let otherKey = BoxKeyPair.generate().publicKey.base64
        let sealedLine = lines.first { $0.hasPrefix("sealed-secret-key ") }!
        var flipped = Array(sealedLine.utf8)
        flipped[flipped.count - 3] = flipped[flipped.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let cases: [(String, SecretKeyFileError)] = [
            ("", .malformed("not a securechat v1 secret key file")),
            (text.replacingOccurrences(of: "v1", with: "v2"), .malformed("not a securechat v1 secret key file")),
            (replacing("salt ", with: nil), .malformed("missing or bad salt line")),
            (replacing("kdf ", with: "kdf scrypt 1 1"), .malformed("missing or unsupported kdf line")),
            (replacing("kdf ", with: "kdf argon2id13 2 999999999999"), .malformed("missing or unsupported kdf line")),
            (replacing("public-key ", with: "public-key \(otherKey)"), .malformed("the public key does not belong to the sealed secret key")),
            (replacing("sealed-secret-key ", with: String(decoding: flipped, as: UTF8.self)), .wrongPassword),
            (text + "salt AAAA\n", .malformed("repeated or empty line")),
        ]
        for (damaged, expected) in cases {
            XCTAssertThrowsError(try SecretKeyFile.open(damaged, password: "pw")) { error in
                XCTAssertEqual(error as? SecretKeyFileError, expected, damaged)
            }
        }
    }
}
