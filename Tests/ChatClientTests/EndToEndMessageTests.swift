import ChatClient
import ChatCrypto
import ChatModel
import ChatStore
import ChatTestSupport
import Foundation
import XCTest

/// Two real clients against a live server: end-to-end DMs both ways, what the
/// server keeps, and what the recipient does with payloads that are not right.
final class EndToEndMessageTests: XCTestCase {
    func testTwoClientsExchangeEndToEndDMsThatTheServerNeverSeesInClear() async throws {
        let server = try await startServer()
        let bob = try ScriptClient(server: server, user: "bob")
        try await bob.waitUntilReady()
        let alice = try ScriptClient(server: server, user: "alice")
        try await alice.waitUntilReady()

        let secret = "the eagle lands at midnight 7f3a"
        let answer = "understood, bring the blue folder 91c2"
        alice.type("/msg bob \(secret)")
        try await alice.waitForLine { $0.hasPrefix("NOTICE key-pinned bob ") }
        try await alice.waitForLine("OK emsg bob")
        try await bob.waitForLine { $0.hasPrefix("NOTICE key-pinned alice ") }
        try await bob.waitForLine("EDM alice \(secret)")
        bob.type("/msg alice \(answer)")
        try await bob.waitForLine("OK emsg bob".replacingOccurrences(of: "bob", with: "alice"))
        try await alice.waitForLine("EDM bob \(answer)")

        let aliceStatus = await alice.finish()
        let bobStatus = await bob.finish()
        XCTAssertEqual(aliceStatus, 0, "\(alice.errors.all)")
        XCTAssertEqual(bobStatus, 0, "\(bob.errors.all)")
        XCTAssertFalse(alice.output.all.contains { $0.hasPrefix("WARNING") }, "\(alice.output.all)")
        XCTAssertFalse(bob.output.all.contains { $0.hasPrefix("WARNING") }, "\(bob.output.all)")

        // The server relayed ciphertext: the plaintext is in no byte it kept.
        // Stopped, its files kept until the test ends.
        await server.server.stop()
        let logs = Data(server.logs.joined.utf8)
        XCTAssertFalse(logs.isEmpty)
        var databaseBytes = Data()
        for suffix in ["", "-wal", "-shm", "-journal"] {
            databaseBytes += (try? Data(contentsOf: URL(fileURLWithPath: server.databasePath + suffix))) ?? Data()
        }
        XCTAssertGreaterThan(databaseBytes.count, 0)
        for plaintext in [secret, answer, "eagle", "blue folder"] {
            let needle = Data(plaintext.utf8)
            XCTAssertNil(logs.range(of: needle), "log holds '\(plaintext)'")
            XCTAssertNil(databaseBytes.range(of: needle), "database holds '\(plaintext)'")
        }
        // Both public keys were published (the server does keep those).
        XCTAssertNotNil(try SQLiteStore(path: server.databasePath).publicKey(for: UserName("alice")!))
    }

    func testTamperedTruncatedReflectedAndReplayedPayloadsAreRejectedVisibly() async throws {
        let server = try await startServer()
        let bob = try ScriptClient(server: server, user: "bob")
        try await bob.waitUntilReady()

        // carol speaks raw protocol with a key of her own, so the test can build
        // payloads and then spoil them in transit.
        let carol = try await server.login("carol")
        let carolKeys = BoxKeyPair.generate()
        try await carol.send("/key set \(carolKeys.publicKey.base64)")
        try await carol.expectLine("OK key")
        try await carol.send("/key get bob")
        let keyLine = try await carol.nextLine() ?? ""
        let bobKey = try XCTUnwrap(BoxPublicKey(base64: String(keyLine.split(separator: " ").last ?? "")), keyLine)

        func payload(_ text: String, to recipient: String = "bob", mutate: (inout [UInt8]) -> Void = { _ in }) -> String {
            let envelope = EncryptedEnvelope(sender: "carol", recipient: recipient, sentAt: Date(), text: text)
            var sealed = DirectMessageBox.seal(envelope.encoded, to: bobKey, from: carolKeys)
            mutate(&sealed)
            return Data(sealed).base64EncodedString()
        }
        func send(_ payload: String) async throws {
            try await carol.send("/emsg bob \(payload)")
            try await carol.expectLine("OK emsg bob")
        }

        let genuine = payload("first, genuine")
        try await send(genuine)
        try await bob.waitForLine("EDM carol first, genuine")

        try await send(payload("flipped bit in the ciphertext") { $0[30] ^= 0x01 })
        try await send(payload("cut short") { $0.removeLast(5) })
        try await send(payload("changed nonce") { $0[0] ^= 0x80 })
        try await send(payload("for alice, not bob", to: "alice"))
        try await send(genuine)  // replayed by the server
        try await send("AAAA" + String(genuine.dropFirst(4)))  // mangled base64 prefix
        try await bob.sync()

        let rejected = bob.output.all.filter { $0.hasPrefix("WARNING edm-rejected carol ") }
        XCTAssertEqual(rejected.count, 6, "\(bob.output.all)")
        XCTAssertTrue(rejected.contains { $0.contains("does not verify") })
        XCTAssertTrue(rejected.contains { $0.contains("addressed to alice") })
        XCTAssertTrue(rejected.contains { $0.contains("replayed") })
        // Nothing but the genuine message was ever shown as a message.
        XCTAssertEqual(bob.output.all.filter { $0.hasPrefix("EDM ") }, ["EDM carol first, genuine"])
        for text in ["flipped bit", "cut short", "changed nonce", "not bob"] {
            XCTAssertFalse(bob.output.all.contains { $0.contains(text) }, text)
        }
        await bob.assertExit(0)
        await carol.close()
    }

    func testAReplacedPublicKeyIsDetectedAndNothingIsSentUntilTrusted() async throws {
        let server = try await startServer()
        let bob = try ScriptClient(server: server, user: "bob")
        try await bob.waitUntilReady()
        let aliceConfig = try ConfigDirectory(url: makeTemporaryDirectory())
        let alice = try ScriptClient(server: server, user: "alice", config: aliceConfig)
        alice.type("/msg bob hello while the key is honest")
        try await alice.waitForLine("OK emsg bob")
        try await bob.waitForLine("EDM alice hello while the key is honest")
        await alice.assertExit(0)

        // The operator (or anyone with the database) swaps in a key of their own.
        let mallory = BoxKeyPair.generate()
        try server.store.setPublicKey(mallory.publicKey.bytes, for: UserName("bob")!)

        let again = try ScriptClient(server: server, user: "alice", config: aliceConfig)
        again.type("/msg bob this must not be sealed for mallory")
        let warning = try await again.waitForLine { $0.hasPrefix("WARNING key-changed bob ") }
        XCTAssertTrue(warning.contains(mallory.publicKey.fingerprint.description), warning)
        try await again.sync()
        XCTAssertFalse(again.output.all.contains("OK emsg bob"), "\(again.output.all)")
        again.type("/msg bob still held back")
        try await again.waitForLine { $0.contains("nothing sent") && $0.contains("/trust bob <fingerprint>") }
        try await again.sync()
        XCTAssertFalse(again.output.all.contains("OK emsg bob"))
        try await bob.sync()
        XCTAssertFalse(bob.output.all.contains { $0.contains("mallory") || $0.contains("held back") })

        // After confirming its fingerprint, the new key is pinned and used.
        again.type("/trust bob \(mallory.publicKey.fingerprint)")
        try await again.waitForLine { $0.hasPrefix("NOTICE key-trusted bob \(mallory.publicKey.fingerprint)") }
        again.type("/msg bob now sealed for the trusted key")
        try await again.waitForLine("OK emsg bob")
        // bob's own key no longer matches what the server hands out: he cannot open it.
        try await bob.waitForLine { $0.hasPrefix("WARNING edm-rejected alice ") }
        await again.assertExit(0)
        await bob.assertExit(0)
        let pins = try String(contentsOf: aliceConfig.knownKeys, encoding: .utf8)
        XCTAssertTrue(pins.contains("127.0.0.1:\(server.port) bob \(mallory.publicKey.base64)"), pins)
    }

    func testMsgToAUserWithoutKeyIsRefusedAndPlainIsAnExplicitChoice() async throws {
        let server = try await startServer()
        let carol = try await server.login("carol")  // no key published
        let alice = try ScriptClient(server: server, user: "alice")
        alice.type("/msg carol are you there?")
        try await alice.waitForLine { $0.hasPrefix("WARNING carol has no end-to-end key; nothing sent") }
        alice.type("/plain carol readable by the server")
        try await alice.waitForLine("OK msg carol")
        // Logging in tells nobody (membership belongs to the account): the DM is first.
        try await carol.expectLine("DM alice readable by the server")
        await alice.assertExit(0)
        await carol.close()
    }

    func testAnOpenSSLStyleRawClientSeesEndToEndDMsAsOpaqueBase64() async throws {
        let server = try await startServer()
        let carol = try await server.login("carol")
        let carolKeys = BoxKeyPair.generate()
        try await carol.send("/key set \(carolKeys.publicKey.base64)")
        try await carol.expectLine("OK key")
        let alice = try ScriptClient(server: server, user: "alice")
        alice.type("/msg carol opaque to the wire")
        try await alice.waitForLine("OK emsg carol")
        let received = try await carol.nextLine()
        let line = try XCTUnwrap(received)
        XCTAssertTrue(line.hasPrefix("EDM alice "), line)
        XCTAssertFalse(line.contains("opaque"))
        let sealed = try XCTUnwrap(Data(base64Encoded: String(line.dropFirst("EDM alice ".count))))
        // carol, holding her secret key, can open it: it is a standard crypto_box.
        try await carol.send("/key get alice")
        let keyLine = try await carol.nextLine() ?? ""
        let aliceKey = try XCTUnwrap(BoxPublicKey(base64: String(keyLine.split(separator: " ").last ?? "")), keyLine)
        let opened = try DirectMessageBox.open(Array(sealed), from: aliceKey, to: carolKeys)
        XCTAssertEqual(EncryptedEnvelope(decoding: opened)?.text, "opaque to the wire")
        await alice.assertExit(0)
        await carol.close()
    }
}
