import ChatModel
import ChatStore
import ChatTestSupport
import Foundation
import XCTest

/// The server's half of end-to-end DMs: it publishes public keys and relays opaque
/// payloads, checking only their shape.
final class EncryptedMessageTests: XCTestCase {
    private let aliceKey = Data((0..<32).map { UInt8($0) }).base64EncodedString()
    private let payload = Data((0..<80).map { UInt8(255 - $0) }).base64EncodedString()

    func testKeysArePublishedStoredAndFetched() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")

        try await bob.send("/key get alice")
        try await expect(bob, prefix: "ERR no-key ")
        try await alice.send("/key set \(aliceKey)")
        try await expect(alice, "OK key")
        try await bob.send("/key get ALICE")
        try await expect(bob, "KEY alice \(aliceKey)")
        XCTAssertEqual(try harness.store.publicKey(for: UserName("alice")!), Array(0..<32))

        try await bob.send("/key get nobody")
        try await expect(bob, prefix: "ERR no-such-user ")
        for bad in ["/key set short", "/key set \(Data(count: 31).base64EncodedString())", "/key set not*base64", "/key frob x", "/key get"] {
            try await alice.send(bad)
            try await expect(alice, prefix: "ERR bad-arguments ")
        }
        await alice.close()
        await bob.close()
    }

    func testEncryptedMessagesAreRelayedAsIsToEverySession() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob1 = try await harness.login("bob")
        let bob2 = try await harness.login("bob")

        try await alice.send("/emsg bob \(payload)")
        try await expect(alice, "OK emsg bob")
        try await expect(bob1, "EDM alice \(payload)")
        try await expect(bob2, "EDM alice \(payload)")

        try await alice.send("/emsg carol \(payload)")
        try await expect(alice, "OK emsg carol")
        try await alice.send("/emsg nobody \(payload)")
        try await expect(alice, prefix: "ERR no-such-user ")
        let tooLong = Data(count: 2400).base64EncodedString()  // 3,200 characters
        let tooShort = Data(count: 40).base64EncodedString()
        for bad in ["/emsg bob \(tooLong)", "/emsg bob \(tooShort)", "/emsg bob %%%notbase64%%%", "/emsg bob", "/emsg bob two words"] {
            try await alice.send(bad)
            try await expect(alice, prefix: "ERR bad-arguments ")
        }
        try await expectNothingPending(bob1)
        for client in [alice, bob1, bob2] { await client.close() }
    }
}
