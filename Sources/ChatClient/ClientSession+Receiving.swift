import ChatCrypto
import ChatProtocol
import Foundation

/// Receiving end-to-end DMs: base64 and length, the sender's pinned key (looked up
/// and pinned on first use), the box, then the sealed header (names, replay, age).
/// Nothing is shown as a message unless every check passed.
extension ClientSession {
    func receive(_ payload: String, from sender: String) -> [Output] {
        guard identity != nil else {
            return [.show(.rejectedDirect(sender: sender, reason: "your end-to-end key is not unlocked on this device"))]
        }
        guard let data = Data(base64Encoded: payload) else {
            return [.show(.rejectedDirect(sender: sender, reason: "the payload is not valid base64 (damaged in transit?)"))]
        }
        guard data.count >= ProtocolLimits.minEncryptedPayloadBytes else {
            return [.show(.rejectedDirect(sender: sender, reason: "the payload is truncated"))]
        }
        let message = Sealed(sender: sender, bytes: Array(data))
        let key = sender.lowercased()
        if changedKeys[key] != nil {
            heldForTrust[key, default: []].append(message)
            return [
                .show(
                    .warning(
                        "a DM from \(sender) is held: \(sender)'s key has changed. Check /fingerprint \(sender), then /trust \(sender) <fingerprint> to read it"
                    ))
            ]
        }
        if awaitingKey[key] != nil {
            awaitingKey[key]?.append(message)
            return []
        }
        if let pinned = pins.pin(for: sender) {
            switch open(message, with: pinned) {
            case .done(let output):
                return [output]
            case .forged:
                // Tampered, or sealed with a new key of the sender's: the server's
                // current key tells which.
                break
            }
        }
        awaitingKey[key] = [message]
        return startLookup(sender, .decrypt)
    }

    func resolveDecrypt(from sender: String, _ answer: KeyAnswer) -> [Output] {
        let messages = awaitingKey.removeValue(forKey: sender.lowercased()) ?? []
        switch answer {
        case .key(let offered):
            var outputs: [Output] = []
            switch check(offered, of: sender, outputs: &outputs) {
            case .firstUse, .matches:
                return outputs + messages.map { openOrReject($0, with: offered) }
            case .changed:
                heldForTrust[sender.lowercased(), default: []] += messages
                return outputs + [
                    .show(
                        .warning(
                            "\(messages.count) DM(s) from \(sender) held until you check /fingerprint \(sender) and /trust \(sender) <fingerprint>"
                        ))
                ]
            }
        case .noKey:
            return messages.map { .show(.rejectedDirect(sender: $0.sender, reason: "\(sender) has published no key to check it against")) }
        case .noSuchUser:
            return messages.map { .show(.rejectedDirect(sender: $0.sender, reason: "the server does not know \(sender), so has no key to check it against")) }
        case .failed(let reason):
            return messages.map { .show(.rejectedDirect(sender: $0.sender, reason: "cannot get \(sender)'s key (\(reason))")) }
        }
    }

    enum Opened {
        case done(Output)
        case forged
    }

    func openOrReject(_ message: Sealed, with key: BoxPublicKey) -> Output {
        switch open(message, with: key) {
        case .done(let output):
            return output
        case .forged:
            return .show(
                .rejectedDirect(
                    sender: message.sender,
                    reason:
                        "it does not verify against \(message.sender)'s key: changed or cut in transit, not sealed by \(message.sender), or sealed for another device's key of yours"
                ))
        }
    }

    func open(_ message: Sealed, with key: BoxPublicKey) -> Opened {
        guard let identity else { return .forged }
        let plaintext: [UInt8]
        do {
            plaintext = try DirectMessageBox.open(message.bytes, from: key, to: identity)
        } catch {
            return .forged
        }
        let reject = { (reason: String) in Opened.done(.show(.rejectedDirect(sender: message.sender, reason: reason))) }
        let nonce = Array(message.bytes.prefix(DirectMessageBox.nonceLength))
        guard !seenNonces.contains(nonce) else {
            return reject("a copy of a message already received (replayed)")
        }
        guard let envelope = EncryptedEnvelope(decoding: plaintext) else {
            return reject("it is not a securechat v1 message")
        }
        guard envelope.sender.lowercased() == message.sender.lowercased() else {
            return reject("it was sealed as from \(envelope.sender) but relayed as from \(message.sender)")
        }
        guard envelope.recipient.lowercased() == me.lowercased() else {
            return reject("it is addressed to \(envelope.recipient), not to you (reflected or redirected)")
        }
        seenNonces.insert(nonce)
        let stale = abs(envelope.sentAt.timeIntervalSince(now())) > Self.staleAfter
        return .done(.show(.encryptedDirect(sender: message.sender, text: envelope.text, sentAt: envelope.sentAt, stale: stale)))
    }
}
