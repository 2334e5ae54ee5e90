import ChatCrypto
import ChatProtocol
import Foundation

/// Receiving end-to-end DMs: base64 and length, the peer's pinned key (looked up
/// and pinned on first use), the box, then the sealed header (names, replay, age).
/// Nothing is shown as a message unless every check passed.
///
/// The same path opens the end-to-end DMs this account sent (`EDMSENT`, from
/// another device or stored while away): crypto_box's key is shared by the pair, so
/// the sender's secret key and the recipient's public key open what they sealed.
extension ClientSession {
    func receive(_ payload: String, peer: String, sent: Bool, arrival: Arrival) -> [Output] {
        let refuse = { (reason: String) -> [Output] in
            [.show(self.present(Self.unopened(peer: peer, sent: sent, reason: reason), arrival))]
        }
        guard identity != nil else {
            return refuse("your end-to-end key is not unlocked on this device")
        }
        guard let data = Data(base64Encoded: payload) else {
            return refuse("the payload is not valid base64 (damaged in transit?)")
        }
        guard data.count >= ProtocolLimits.minEncryptedPayloadBytes else {
            return refuse("the payload is truncated")
        }
        let message = Sealed(peer: peer, sent: sent, bytes: Array(data), arrival: arrival)
        let sender = peer
        let key = peer.lowercased()
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
                            "\(messages.count) DM(s) with \(sender) held until you check /fingerprint \(sender) and /trust \(sender) <fingerprint>"
                        ))
                ]
            }
        case .noKey:
            return messages.map { reject($0, "\(sender) has published no key to check it against") }
        case .noSuchUser:
            return messages.map { reject($0, "the server does not know \(sender), so has no key to check it against") }
        case .failed(let reason):
            return messages.map { reject($0, "cannot get \(sender)'s key (\(reason))") }
        }
    }

    /// An end-to-end DM not shown, and why.
    func reject(_ message: Sealed, _ reason: String) -> Output {
        .show(present(Self.unopened(peer: message.peer, sent: message.sent, reason: reason), message.arrival))
    }

    static func unopened(peer: String, sent: Bool, reason: String) -> Notice {
        sent
            ? .warning("your end-to-end DM to \(peer) (sent from another device, or while this one was away) cannot be shown: \(reason)")
            : .rejectedDirect(sender: peer, reason: reason)
    }

    enum Opened {
        case done(Output)
        case forged
    }

    func openOrReject(_ message: Sealed, with key: BoxPublicKey) -> Output {
        switch open(message, with: key) {
        case .done(let output):
            return output
        case .forged where message.sent:
            return reject(
                message, "it does not verify against \(message.peer)'s key and yours: changed or cut in transit, or sealed with another device's key of yours")
        case .forged:
            return reject(
                message,
                "it does not verify against \(message.peer)'s key: changed or cut in transit, not sealed by \(message.peer), or sealed for another device's key of yours"
            )
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
        let refuse = { (reason: String) in Opened.done(self.reject(message, reason)) }
        // A page of history (`/back`) may hold what was opened before: not a replay.
        let checksReplay = !message.arrival.isEarlier
        let nonce = Array(message.bytes.prefix(DirectMessageBox.nonceLength))
        guard !checksReplay || !seenNonces.contains(nonce) else {
            return refuse("a copy of a message already received (replayed)")
        }
        guard let envelope = EncryptedEnvelope(decoding: plaintext) else {
            return refuse("it is not a securechat v1 message")
        }
        let (from, to) = message.sent ? (me, message.peer) : (message.peer, me)
        guard envelope.sender.lowercased() == from.lowercased() else {
            return refuse("it was sealed as from \(envelope.sender) but relayed as from \(from)")
        }
        guard envelope.recipient.lowercased() == to.lowercased() else {
            return refuse(
                message.sent
                    ? "it is addressed to \(envelope.recipient), not to \(message.peer)"
                    : "it is addressed to \(envelope.recipient), not to you (reflected or redirected)")
        }
        if checksReplay { seenNonces.insert(nonce) }
        if message.sent {
            return .done(.show(present(.encryptedDirectSent(recipient: message.peer, text: envelope.text), message.arrival)))
        }
        // Stored DMs are compared with when the server stored them, not with now.
        let stale = abs(envelope.sentAt.timeIntervalSince(message.arrival.storedAt ?? now())) > Self.staleAfter
        let opened = Notice.encryptedDirect(sender: message.peer, text: envelope.text, sentAt: envelope.sentAt, stale: stale)
        return .done(.show(present(opened, message.arrival)))
    }
}
