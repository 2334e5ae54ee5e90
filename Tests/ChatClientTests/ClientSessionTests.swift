@testable import ChatClient
import ChatCrypto
import ChatProtocol
import ChatTestSupport
import Foundation
import XCTest

/// The session logic without sockets: the test plays the server.
final class ClientSessionTests: XCTestCase {
    let server = ServerEndpoint(host: "127.0.0.1", port: 7443)

    func makeSession(_ me: String, identity: BoxKeyPair? = .generate(), now: @escaping () -> Date = Date.init) throws -> ClientSession {
        ClientSession(me: me, identity: identity, pins: try PeerKeyPins(file: nil, server: server), now: now)
    }

    func testAnEndToEndDMGoesFromOneSessionToAnother() throws {
        let aliceKeys = BoxKeyPair.generate()
        let bobKeys = BoxKeyPair.generate()
        let alice = try makeSession("alice", identity: aliceKeys)
        let bob = try makeSession("bob", identity: bobKeys)

        let lookup = alice.userLine("/msg bob hi bob")
        XCTAssertEqual(sent(lookup).count, 2)
        XCTAssertEqual(sent(lookup).last, "/key get bob")
        let sending = answerLookup(alice, lookup, reply: "KEY bob \(bobKeys.publicKey.base64)")
        XCTAssertEqual(shown(sending).first, .keyPinned(user: "bob", fingerprint: bobKeys.publicKey.fingerprint.description))
        XCTAssertTrue(shown(sending).contains(.ownDirect(recipient: "bob", text: "hi bob", encrypted: true)))
        let payload = try XCTUnwrap(emsgPayload(sending))
        XCTAssertLessThanOrEqual(payload.count, ProtocolLimits.maxEncryptedPayloadLength)
        XCTAssertFalse(Data(base64Encoded: payload)!.contains(Data("hi bob".utf8)))

        let receiving = bob.serverEvent(.encryptedDirect(sender: "alice", payload: payload))
        XCTAssertEqual(sent(receiving).last, "/key get alice", "an unknown sender's key is looked up first")
        let opened = shown(answerLookup(bob, receiving, reply: "KEY alice \(aliceKeys.publicKey.base64)"))
        XCTAssertEqual(opened.first, .keyPinned(user: "alice", fingerprint: aliceKeys.publicKey.fingerprint.description))
        guard case .encryptedDirect("alice", "hi bob", _, false) = opened.last else {
            return XCTFail("\(opened)")
        }
        // The next one from a pinned sender opens at once, without a look-up.
        let second = emsgPayload(alice.userLine("/msg bob again"))!
        XCTAssertEqual(sent(bob.serverEvent(.encryptedDirect(sender: "alice", payload: second))), [])
        XCTAssertTrue(bob.isIdle)
    }

    func testAReflectedMessageIsRejectedThoughItDecrypts() throws {
        let aliceKeys = BoxKeyPair.generate()
        let bobKeys = BoxKeyPair.generate()
        let alice = try makeSession("alice", identity: aliceKeys)
        let payload = emsgPayload(answerLookup(alice, alice.userLine("/msg bob mine"), reply: "KEY bob \(bobKeys.publicKey.base64)"))!
        // The server hands alice her own message back as if bob had sent it.
        let shownNotices = shown(alice.serverEvent(.encryptedDirect(sender: "bob", payload: payload)))
        XCTAssertEqual(shownNotices, [.rejectedDirect(sender: "bob", reason: "it was sealed as from alice but relayed as from bob")])
    }

    func testOldMessagesAreMarkedAndCopiesRejected() throws {
        let aliceKeys = BoxKeyPair.generate()
        let bobKeys = BoxKeyPair.generate()
        let alice = try makeSession("alice", identity: aliceKeys, now: { Date(timeIntervalSinceNow: -3600) })
        let bob = try makeSession("bob", identity: bobKeys)
        let payload = emsgPayload(answerLookup(alice, alice.userLine("/msg bob an hour ago"), reply: "KEY bob \(bobKeys.publicKey.base64)"))!
        let first = shown(
            answerLookup(bob, bob.serverEvent(.encryptedDirect(sender: "alice", payload: payload)), reply: "KEY alice \(aliceKeys.publicKey.base64)"))
        guard case .encryptedDirect("alice", "an hour ago", _, true) = first.last else { return XCTFail("\(first)") }
        XCTAssertEqual(
            shown(bob.serverEvent(.encryptedDirect(sender: "alice", payload: payload))),
            [.rejectedDirect(sender: "alice", reason: "a copy of a message already received (replayed)")]
        )
    }

    func testAChangedKeyIsAWarningAndNothingIsSentUntilTrusted() throws {
        let alice = try makeSession("alice")
        let bobKeys = BoxKeyPair.generate()
        let replacement = BoxKeyPair.generate()
        _ = answerLookup(alice, alice.userLine("/msg bob first"), reply: "KEY bob \(bobKeys.publicKey.base64)")

        // A fresh session (as after a restart) with the pin on file.
        let pins = try PeerKeyPins(file: nil, server: server)
        try pins.set(bobKeys.publicKey, for: "bob")
        let later = ClientSession(me: "alice", identity: .generate(), pins: pins)
        let outputs = answerLookup(later, later.userLine("/msg bob second"), reply: "KEY bob \(replacement.publicKey.base64)")
        XCTAssertNil(emsgPayload(outputs))
        XCTAssertEqual(
            shown(outputs).first,
            .keyChanged(
                user: "bob", pinned: bobKeys.publicKey.fingerprint.description, offered: replacement.publicKey.fingerprint.description
            ))
        XCTAssertTrue(sent(later.userLine("/msg bob third")).isEmpty, "refused without asking the server")

        // A DM sealed with the new key waits for the decision.
        let incoming = DirectMessageBox.seal(
            EncryptedEnvelope(sender: "bob", recipient: "alice", sentAt: Date(), text: "new key here").encoded,
            to: later.identity!.publicKey, from: replacement
        )
        let held = later.serverEvent(.encryptedDirect(sender: "bob", payload: Data(incoming).base64EncodedString()))
        XCTAssertTrue(sent(held).isEmpty)
        guard case .warning(let text) = shown(held).first, text.contains("held") else { return XCTFail("\(held)") }

        let trusted = shown(later.userLine("/trust bob \(replacement.publicKey.fingerprint)"))
        XCTAssertEqual(trusted.first, .keyTrusted(user: "bob", fingerprint: replacement.publicKey.fingerprint.description))
        guard case .encryptedDirect("bob", "new key here", _, false) = trusted.last else { return XCTFail("\(trusted)") }
        XCTAssertEqual(pins.pin(for: "BOB"), replacement.publicKey)
        XCTAssertNotNil(emsgPayload(later.userLine("/msg bob now it goes")), "a just-trusted key needs no new look-up")
        XCTAssertEqual(shown(later.userLine("/trust bob \(replacement.publicKey.fingerprint)")).count, 1, "nothing left to trust")
    }

    func testALookupAnswerIsNotConfusedWithAnEarlierLinesError() throws {
        let alice = try makeSession("alice")
        _ = alice.userLine("text while in no room")
        let lookup = alice.userLine("/msg bob hi")
        // The room text fails first; its ERR arrives before the barrier's PONG.
        XCTAssertEqual(shown(alice.serverEvent(.error(.noSuchUser, "no such user"))), [.server(.error(.noSuchUser, "no such user"))])
        let answer = answerLookup(alice, lookup, reply: "ERR no-key bob has published no key")
        XCTAssertEqual(shown(answer), [.warning("bob has no end-to-end key; nothing sent. /plain bob <text> sends a DM the server can read")])
        XCTAssertTrue(alice.isIdle)
    }

    func testALookupFailingWithACodeFromANewerServerSaysSo() throws {
        let alice = try makeSession("alice")
        let answer = answerLookup(alice, alice.userLine("/msg bob hi"), reply: "ERR slow-down try again in a minute")
        XCTAssertEqual(shown(answer), [.warning("cannot get bob's key (slow-down: try again in a minute); nothing sent")])
        XCTAssertTrue(alice.isIdle)
    }

    func testLinesTypedDuringALookupWaitTheirTurn() throws {
        let alice = try makeSession("alice")
        let bobKeys = BoxKeyPair.generate()
        let lookup = alice.userLine("/msg bob first")
        XCTAssertEqual(alice.userLine("then this"), [])
        XCTAssertEqual(alice.userLine("/plain bob and this"), [])
        XCTAssertFalse(alice.isIdle)
        let after = sent(answerLookup(alice, lookup, reply: "KEY bob \(bobKeys.publicKey.base64)"))
        XCTAssertEqual(after.count, 3)
        XCTAssertTrue(after[0].hasPrefix("/emsg bob "))
        XCTAssertEqual(Array(after.dropFirst()), ["then this", "/msg bob and this"])
        XCTAssertTrue(alice.isIdle)
    }

    func testPlainCommandsAndEchoes() throws {
        let alice = try makeSession("alice")
        XCTAssertEqual(alice.userLine("hi all"), [.send("hi all"), .show(.ownRoomMessage(room: "#lobby", sender: "alice", text: "hi all"))])
        XCTAssertEqual(alice.userLine("//shrug"), [.send("//shrug"), .show(.ownRoomMessage(room: "#lobby", sender: "alice", text: "/shrug"))])
        XCTAssertEqual(alice.userLine("   "), [])
        XCTAssertEqual(alice.userLine("/join #rust"), [.send("/join #rust")])
        _ = alice.serverEvent(.ok(command: "join", details: "#Rust"))
        XCTAssertEqual(alice.currentRoom, "#Rust")
        _ = alice.serverEvent(.ok(command: "leave", details: "#Rust"))
        XCTAssertEqual(alice.currentRoom, "#lobby")
        _ = alice.serverEvent(.ok(command: "leave", details: "#lobby"))
        XCTAssertNil(alice.currentRoom)
        XCTAssertEqual(alice.userLine("/quit bye"), [.send("/quit bye"), .quit])
        XCTAssertEqual(alice.serverEvent(.ping("abc")), [.send("/pong abc")])
        XCTAssertEqual(alice.userLine("/help"), [.show(.help(ClientHelp.lines))], "the server's help lists commands that are not for people")
        XCTAssertEqual(alice.userLine("/me waves"), [.send("//me waves"), .show(.ownRoomMessage(room: nil, sender: "alice", text: "/me waves"))])
        XCTAssertEqual(shown(alice.userLine("/me  ")), [.warning("usage: /me <action>")])
        XCTAssertEqual(shown(alice.userLine("/msg bob")), [.warning("usage: /msg <user> <text>")])
    }

    func testTooLongForAnEndToEndDMIsRefusedBeforeAnythingIsSent() throws {
        let alice = try makeSession("alice")
        let outputs = alice.userLine("/msg bob " + String(repeating: "x", count: 2300))
        XCTAssertTrue(sent(outputs).isEmpty)
        guard case .warning(let text) = shown(outputs).first, text.hasPrefix("too long for an end-to-end DM: 2300 bytes") else {
            return XCTFail("\(outputs)")
        }
        XCTAssertTrue(outputs.contains(.refused("/msg bob " + String(repeating: "x", count: 2300))))
        // The largest allowed text fits the server's cap.
        let bobKeys = BoxKeyPair.generate()
        let limit = Int(text.components(separatedBy: "at most ").last!.prefix { $0.isNumber })!
        let fits = answerLookup(alice, alice.userLine("/msg bob " + String(repeating: "y", count: limit)), reply: "KEY bob \(bobKeys.publicKey.base64)")
        XCTAssertEqual(emsgPayload(fits)?.count, ProtocolLimits.maxEncryptedPayloadLength)
    }

    func testALineLongerThanTheServerTakesIsRefusedAndNothingSent() throws {
        let alice = try makeSession("alice")
        let longest = String(repeating: "a", count: ProtocolLimits.defaultMaxLineLength)
        XCTAssertEqual(sent(alice.userLine(longest)), [longest])
        for line in [longest + "a", "/plain bob " + longest, "//" + longest, "/join #" + longest] {
            let outputs = alice.userLine(line)
            XCTAssertEqual(sent(outputs), [], line.prefix(12) + "…")
            XCTAssertTrue(outputs.contains(.refused(line)), "\(outputs)")
            guard case .warning(let text) = shown(outputs).first, text.hasPrefix("too long to send: ") else { return XCTFail("\(outputs)") }
        }
        // Counted in bytes, as the server does: 2,000 two-byte characters are too many.
        XCTAssertEqual(
            shown(alice.userLine(String(repeating: "é", count: 2100))),
            [.warning("too long to send: 4200 bytes, the server takes at most 4096 per line; nothing sent")]
        )
        XCTAssertTrue(alice.isIdle)
    }

    func testOwnKeyIsPublishedWhenTheServerHasNoneOrAnother() throws {
        let keys = BoxKeyPair.generate()
        let alice = try makeSession("alice", identity: keys)
        let start = alice.start()
        XCTAssertEqual(sent(start).last, "/key get alice")
        XCTAssertEqual(sent(answerLookup(alice, start, reply: "ERR no-key alice has published no key")), ["/key set \(keys.publicKey.base64)"])
        XCTAssertFalse(alice.isIdle)
        XCTAssertEqual(
            shown(alice.serverEvent(.ok(command: "key", details: nil))),
            [.note("published your end-to-end public key (fingerprint \(keys.publicKey.fingerprint))")])
        XCTAssertTrue(alice.isIdle)

        let again = try makeSession("alice", identity: keys)
        XCTAssertEqual(answerLookup(again, again.start(), reply: "KEY alice \(keys.publicKey.base64)"), [], "already published")
        let other = try makeSession("alice", identity: keys)
        let replaced = answerLookup(other, other.start(), reply: "KEY alice \(BoxKeyPair.generate().publicKey.base64)")
        XCTAssertEqual(sent(replaced), ["/key set \(keys.publicKey.base64)"])
        guard case .warning(let text) = shown(replaced).first, text.contains("another end-to-end key") else { return XCTFail("\(replaced)") }

        let locked = try makeSession("alice", identity: nil)
        XCTAssertEqual(locked.start(), [])
        guard case .warning = shown(locked.userLine("/msg bob x")).first else { return XCTFail() }
    }

    func testPasswdSuccessAsksForTheKeyFileToBeSealedAgain() throws {
        let alice = try makeSession("alice")
        XCTAssertEqual(alice.userLine("/passwd old new one"), [.send("/passwd old new one")])
        XCTAssertEqual(alice.serverEvent(.ok(command: "passwd", details: nil)).last, .passwordChanged("new one"))
        _ = alice.userLine("/passwd old wrong")
        _ = alice.serverEvent(.error(.authFailed, "invalid"))
        XCTAssertEqual(alice.serverEvent(.ok(command: "passwd", details: nil)), [.show(.server(.ok(command: "passwd", details: nil)))])
    }

    /// `/passwd` alone is the runner's to ask for; the passwords it gets go out in
    /// the form that carries them, and the key file is sealed under exactly the new one.
    func testPasswdAloneAsksAndAnyPasswordsGoOutQuoted() throws {
        let alice = try makeSession("alice")
        XCTAssertEqual(alice.userLine("/passwd"), [.askForPasswords])
        XCTAssertEqual(alice.userLine("/PASSWD   "), [.askForPasswords])
        XCTAssertEqual(
            alice.changePassword(old: "correct horse battery staple", new: #" new "one" \ "#),
            [.send(#"/passwd "correct horse battery staple" " new \"one\" \\ ""#)])
        XCTAssertEqual(alice.serverEvent(.ok(command: "passwd", details: nil)).last, .passwordChanged(#" new "one" \ "#))

        // Typed in the quoted form, the password sealed under is the unquoted one.
        XCTAssertEqual(alice.userLine(#"/passwd "a b" "c d""#), [.send(#"/passwd "a b" "c d""#)])
        XCTAssertEqual(alice.serverEvent(.ok(command: "passwd", details: nil)).last, .passwordChanged("c d"))

        // A malformed one is not sent: the server would refuse it anyway.
        guard case .show(.warning(let text)) = alice.userLine(#"/passwd "a b" c"#).first, text.hasPrefix("usage: /passwd alone") else {
            return XCTFail("a malformed quoted /passwd was not refused")
        }
        XCTAssertEqual(
            alice.changePassword(old: String(repeating: "x", count: 3000), new: String(repeating: "y", count: 3000)),
            [.show(.warning("the passwords are too long for one protocol line; password not changed"))])
    }

    func testMalformedPayloadsAreRejectedWithoutALookup() throws {
        let bob = try makeSession("bob")
        XCTAssertEqual(
            shown(bob.serverEvent(.encryptedDirect(sender: "eve", payload: "not*base64"))),
            [.rejectedDirect(sender: "eve", reason: "the payload is not valid base64 (damaged in transit?)")])
        XCTAssertEqual(
            shown(bob.serverEvent(.encryptedDirect(sender: "eve", payload: Data(count: 40).base64EncodedString()))),
            [.rejectedDirect(sender: "eve", reason: "the payload is truncated")])
        XCTAssertTrue(bob.isIdle)
    }
}

final class FileStoreTests: XCTestCase {
    func testPinsAndKnownServersSurviveARestartAndKeepOtherLines() throws {
        let directory = try makeTemporaryDirectory()
        let config = ConfigDirectory(url: directory.appendingPathComponent("securechat"))
        let here = ServerEndpoint(host: "127.0.0.1", port: 7443)
        let there = ServerEndpoint(host: "::1", port: 9000)
        let key = BoxKeyPair.generate().publicKey
        try PeerKeyPins(file: config.knownKeys, server: there).set(BoxKeyPair.generate().publicKey, for: "bob")
        try PeerKeyPins(file: config.knownKeys, server: here).set(key, for: "Bob")
        XCTAssertEqual(try PeerKeyPins(file: config.knownKeys, server: here).pin(for: "bob"), key)
        let replacement = BoxKeyPair.generate().publicKey
        try PeerKeyPins(file: config.knownKeys, server: here).set(replacement, for: "bob")
        let text = try String(contentsOf: config.knownKeys, encoding: .utf8)
        XCTAssertEqual(text.split(separator: "\n").count, 3, text)
        XCTAssertTrue(text.contains("[::1]:9000 bob "))
        XCTAssertEqual(try PeerKeyPins(file: config.knownKeys, server: here).pin(for: "bob"), replacement)
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(config.knownKeys))
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(config.url))

        let known = KnownServers(file: config.knownServers)
        XCTAssertNil(try known.pin(for: here))
        let digest = SHA256.hash([1, 2, 3])
        try known.add(digest, for: here)
        XCTAssertEqual(try known.pin(for: here), digest)
        XCTAssertNil(try known.pin(for: there))
        // A damaged line for a server is an error, never "not pinned".
        try (String(contentsOf: config.knownServers, encoding: .utf8) + "[::1]:9000 sha256 nonsense\n").write(
            to: config.knownServers, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try known.pin(for: there))
        XCTAssertEqual(known.lineNumber(of: here), 2)
    }

    func testConfigDirectoryFollowsXDG() {
        XCTAssertEqual(ConfigDirectory.standard(environment: ["XDG_CONFIG_HOME": "/x/cfg", "HOME": "/home/a"])?.url.path, "/x/cfg/securechat")
        XCTAssertEqual(ConfigDirectory.standard(environment: ["XDG_CONFIG_HOME": "relative", "HOME": "/home/a"])?.url.path, "/home/a/.config/securechat")
        XCTAssertNil(ConfigDirectory.standard(environment: [:]))
        let config = ConfigDirectory(url: URL(fileURLWithPath: "/c"))
        XCTAssertEqual(config.keyFile(user: "Alice", serverID: "spki-0a1b").path, "/c/keys/alice@spki-0a1b.key")
        XCTAssertEqual(config.legacyKeyFile(user: "Alice", server: ServerEndpoint(host: "::1", port: 7443)).path, "/c/keys/alice@___1__7443.key")
    }

    func testIdentityKeyFileRoundTripAndWrongPassword() throws {
        let directory = try makeTemporaryDirectory()
        let file = IdentityKeyFile(url: directory.appendingPathComponent("keys/a.key"), cost: .minimum)
        guard case .absent = try file.load(password: "pw") else { return XCTFail() }
        let keys = BoxKeyPair.generate()
        try file.save(keys, password: "pw")
        XCTAssertFalse(PrivateFileMode.isGroupOrOtherAccessible(file.url))
        guard case .unlocked(let opened) = try file.load(password: "pw") else { return XCTFail() }
        XCTAssertEqual(opened.publicKey, keys.publicKey)
        guard case .locked(let publicKey) = try file.load(password: "other") else { return XCTFail() }
        XCTAssertEqual(publicKey, keys.publicKey)

        let unlocked = ClientIdentity.unlock(file: file, password: "new", askOldPassword: { "pw" })
        XCTAssertEqual(unlocked.identity?.publicKey, keys.publicKey)
        guard case .unlocked = try file.load(password: "new") else { return XCTFail("not sealed again under the new password") }
        let refused = ClientIdentity.unlock(file: file, password: "pw", askOldPassword: nil)
        XCTAssertNil(refused.identity)
        guard case .warning(let text) = refused.notices.first, text.contains("end-to-end DMs are off") else { return XCTFail() }
    }
}
