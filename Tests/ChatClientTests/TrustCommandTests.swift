@testable import ChatClient
import ChatCrypto
import ChatProtocol
import Foundation
import XCTest

/// `/trust <user> <fingerprint>`: a changed key is pinned only when the person types
/// the fingerprint they compared, so a server that swaps the key between the warning
/// and the command gains nothing.
final class TrustCommandTests: XCTestCase {
    let server = ServerEndpoint(host: "127.0.0.1", port: 7443)

    /// alice has bob's `pinned` key on file and the server now offers `offered`
    /// instead: the warning she sees before deciding.
    private func aliceSeesAChangedKey(pinned: BoxPublicKey, offered: BoxPublicKey) throws -> (ClientSession, PeerKeyPins) {
        let pins = try PeerKeyPins(file: nil, server: server)
        try pins.set(pinned, for: "bob")
        let alice = ClientSession(me: "alice", identity: .generate(), pins: pins)
        let outputs = answerLookup(alice, alice.userLine("/msg bob hello"), reply: "KEY bob \(offered.base64)")
        XCTAssertNil(emsgPayload(outputs))
        XCTAssertEqual(
            shown(outputs).first,
            .keyChanged(
                user: "bob", pinned: pinned.fingerprint.description, offered: offered.fingerprint.description
            ))
        return (alice, pins)
    }

    func testTheComparedFingerprintPinsTheOfferedKeyInAnyCaseAndGrouping() throws {
        let old = BoxKeyPair.generate().publicKey
        let bobsNewKeys = BoxKeyPair.generate()
        let (alice, pins) = try aliceSeesAChangedKey(pinned: old, offered: bobsNewKeys.publicKey)

        // Read aloud and typed as it came: lower case, colons instead of spaces.
        let typed = bobsNewKeys.publicKey.fingerprint.description.lowercased().replacingOccurrences(of: " ", with: ":")
        let outputs = alice.userLine("/trust bob \(typed)")
        XCTAssertEqual(outputs, [.show(.keyTrusted(user: "bob", fingerprint: bobsNewKeys.publicKey.fingerprint.description))])
        XCTAssertEqual(pins.pin(for: "bob"), bobsNewKeys.publicKey)

        // The next DM is sealed for the key now trusted: bob's new key opens it.
        let payload = try XCTUnwrap(emsgPayload(alice.userLine("/msg bob on the new key")))
        let opened = try DirectMessageBox.open(Array(Data(base64Encoded: payload)!), from: alice.identity!.publicKey, to: bobsNewKeys)
        XCTAssertEqual(EncryptedEnvelope(decoding: opened)?.text, "on the new key")
    }

    func testAFingerprintOfAnotherKeyIsRefusedWhenTheServerSwappedItAfterTheWarning() throws {
        let old = BoxKeyPair.generate().publicKey
        let bobsNewKey = BoxKeyPair.generate().publicKey
        let mallory = BoxKeyPair.generate()
        let (alice, pins) = try aliceSeesAChangedKey(pinned: old, offered: bobsNewKey)

        // While alice compares bob's new fingerprint with him, the server answers a
        // later look-up with a key of its own, and sends a DM sealed with it.
        _ = answerLookup(alice, alice.userLine("/fingerprint bob"), reply: "KEY bob \(mallory.publicKey.base64)")
        let forged = DirectMessageBox.seal(
            EncryptedEnvelope(sender: "bob", recipient: "alice", sentAt: Date(), text: "from mallory").encoded,
            to: alice.identity!.publicKey, from: mallory
        )
        _ = alice.serverEvent(.encryptedDirect(sender: "bob", payload: Data(forged).base64EncodedString()))

        let outputs = alice.userLine("/trust bob \(bobsNewKey.fingerprint)")
        XCTAssertEqual(sent(outputs), [])
        XCTAssertEqual(
            shown(outputs),
            [
                .warning(
                    "REFUSED: \(bobsNewKey.fingerprint) is not the fingerprint of the key the server now offers for bob (\(mallory.publicKey.fingerprint)): the key may have been swapped after the warning you checked. Nothing trusted; compare again with /fingerprint bob"
                )
            ])
        XCTAssertEqual(pins.pin(for: "bob"), old, "nothing pinned")
        // The old key's fingerprint keeps the old key, and trusts nothing new either.
        guard case .note(let kept) = shown(alice.userLine("/trust bob \(old.fingerprint)")).first,
            kept.hasPrefix("\(old.fingerprint) is bob's pinned key, which stays pinned")
        else { return XCTFail("the pinned key's fingerprint was not recognised") }
        XCTAssertEqual(pins.pin(for: "bob"), old)
        XCTAssertEqual(sent(alice.userLine("/msg bob still there?")), [], "nothing sent to an unconfirmed key")
        XCTAssertFalse(outputs.contains { if case .show(.encryptedDirect) = $0 { true } else { false } }, "the held DM stays held")
    }

    func testWithoutAFingerprintItShowsUsageAndTheOfferedFingerprintAndPinsNothing() throws {
        let old = BoxKeyPair.generate().publicKey
        let offered = BoxKeyPair.generate().publicKey
        let (alice, pins) = try aliceSeesAChangedKey(pinned: old, offered: offered)

        XCTAssertEqual(
            alice.userLine("/trust bob"),
            [
                .show(.warning("usage: /trust <user> <fingerprint>")),
                .show(
                    .note(
                        "the server offers bob a key with fingerprint \(offered.fingerprint) (pinned: \(old.fingerprint)); compare it with bob out of band, then type /trust bob and the fingerprint you compared"
                    )),
            ])
        XCTAssertEqual(pins.pin(for: "bob"), old)

        // Anything but the whole fingerprint is not one: a prefix, or not hex at all.
        let prefix = String(offered.fingerprint.description.prefix(19))
        for typed in [prefix, "yes please"] {
            XCTAssertEqual(
                shown(alice.userLine("/trust bob \(typed)")),
                [
                    .warning(
                        "\"\(typed)\" is not a key fingerprint (32 hex digits, as /fingerprint shows them); nothing trusted"
                    )
                ])
        }
        XCTAssertEqual(pins.pin(for: "bob"), old)
        XCTAssertEqual(sent(alice.userLine("/msg bob x")), [])
    }
}
