import ChatClient
import ChatTestSupport
import Foundation
import XCTest

/// How `server-ids` recognises a server: by its public key at any address, by its
/// address after a new key, and as new only when both are new.
final class ServerIdentitiesTests: XCTestCase {
    func testAServerIsRecognisedByKeyOrByAddress() throws {
        let file = try makeTemporaryDirectory().appendingPathComponent("server-ids")
        let identities = ServerIdentities(file: file)
        let key = [UInt8](repeating: 0xAB, count: 32)
        let renewedKey = [UInt8](repeating: 0xCD, count: 32)
        let here = ServerEndpoint(host: "127.0.0.1", port: 7443)
        let id = try identities.identify(endpoint: here, publicKeySHA256: key)
        XCTAssertEqual(id, "spki-" + String(repeating: "ab", count: 16))

        XCTAssertEqual(try identities.identify(endpoint: ServerEndpoint(host: "LocalHost", port: 7443), publicKeySHA256: key), id)
        XCTAssertEqual(try identities.identify(endpoint: ServerEndpoint(host: "localhost", port: 8443), publicKeySHA256: key), id)
        // A new key at a known address: the same server, renewed; then known at every address.
        XCTAssertEqual(try identities.identify(endpoint: here, publicKeySHA256: renewedKey), id)
        XCTAssertEqual(try identities.identify(endpoint: ServerEndpoint(host: "::1", port: 9000), publicKeySHA256: renewedKey), id)
        // A new key at a new address is another server.
        let other = try identities.identify(endpoint: ServerEndpoint(host: "chat.example.org", port: 7443), publicKeySHA256: [UInt8](repeating: 1, count: 32))
        XCTAssertNotEqual(other, id)
        // An address that now serves a known key goes over to that server.
        XCTAssertEqual(try identities.identify(endpoint: here, publicKeySHA256: [UInt8](repeating: 1, count: 32)), other)
        XCTAssertEqual(try identities.identify(endpoint: here, publicKeySHA256: [UInt8](repeating: 2, count: 32)), other)

        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("# securechat server identities"), text)
        XCTAssertEqual(text.split(separator: "\n").filter { $0.hasSuffix(" 127.0.0.1:7443") }.count, 1, text)
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(file))
    }
}
