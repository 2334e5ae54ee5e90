import ChatCrypto
import ChatProtocol
import Foundation

/// Key look-ups: `/ping <token>` then `/key get <user>`, and what each answer means
/// for the purpose it was made for (publishing our key, sending, opening, showing
/// fingerprints). Pinning on first use and detecting changed keys happen here.
extension ClientSession {
    func nextToken() -> String {
        barrierCounter += 1
        return "\(barrierPrefix)\(barrierCounter)"
    }

    func startLookup(_ user: String, _ purpose: Lookup.Purpose) -> [Output] {
        let token = nextToken()
        lookups.append(Lookup(token: token, user: user, purpose: purpose))
        return [.send(ClientCommand.ping(token: token).rendered), .send(ClientCommand.getKey(user: user).rendered)]
    }

    func resolveFirstLookup(_ answer: KeyAnswer) -> [Output] {
        let lookup = lookups.removeFirst()
        switch lookup.purpose {
        case .ownKey:
            return resolveOwnKey(answer)
        case .send(let text):
            return resolveSend(text, to: lookup.user, answer) + drainQueuedInput()
        case .decrypt:
            return resolveDecrypt(from: lookup.user, answer)
        case .fingerprint:
            return resolveFingerprint(of: lookup.user, answer)
        }
    }

    enum Verdict {
        case firstUse
        case matches
        case changed(pinned: BoxPublicKey)
    }

    /// Compares an offered key with the pin, pinning it if there was none.
    func check(_ offered: BoxPublicKey, of user: String, outputs: inout [Output]) -> Verdict {
        let key = user.lowercased()
        guard let pinned = pins.pin(for: user) else {
            do {
                try pins.set(offered, for: user)
            } catch {
                outputs.append(.show(.warning("cannot save the pinned key: \(error)")))
            }
            verifiedAt[key] = now()
            outputs.append(.show(.keyPinned(user: user, fingerprint: offered.fingerprint.description)))
            return .firstUse
        }
        guard pinned == offered else {
            changedKeys[key] = offered
            outputs.append(.show(.keyChanged(user: user, pinned: pinned.fingerprint.description, offered: offered.fingerprint.description)))
            return .changed(pinned: pinned)
        }
        verifiedAt[key] = now()
        return .matches
    }

    func resolveOwnKey(_ answer: KeyAnswer) -> [Output] {
        guard let identity else { return [] }
        switch answer {
        case .key(let published) where published == identity.publicKey:
            return []
        case .key(let published):
            return [
                .show(
                    .warning(
                        "the server held another end-to-end key for you (fingerprint \(published.fingerprint)): another device of yours, or a replaced key. Publishing this device's key (\(identity.publicKey.fingerprint)); DMs sealed for the other key cannot be read here"
                    ))
            ] + publishOwnKey()
        case .noKey:
            return publishOwnKey()
        case .noSuchUser:
            return [.show(.warning("could not check your published key (the server does not know your name); others may be unable to DM you end-to-end"))]
        case .failed(let reason):
            return [.show(.warning("could not check your published key (\(reason)); others may be unable to DM you end-to-end"))]
        }
    }

    func publishOwnKey() -> [Output] {
        guard let identity else { return [] }
        pendingPublishes += 1
        return [.send(ClientCommand.setKey(identity.publicKey.base64).rendered)]
    }

    func resolveSend(_ text: String, to user: String, _ answer: KeyAnswer) -> [Output] {
        switch answer {
        case .key(let offered):
            var outputs: [Output] = []
            switch check(offered, of: user, outputs: &outputs) {
            case .firstUse, .matches:
                return outputs + seal(text, to: user, key: offered)
            case .changed:
                return outputs + [.show(.warning("nothing sent to \(user): check /fingerprint \(user) with them, then /trust \(user) <fingerprint>"))]
            }
        case .noKey:
            if pins.pin(for: user) != nil {
                return [
                    .show(
                        .warning(
                            "\(user) had an end-to-end key pinned, but the server now offers none; nothing sent. If \(user) really lost their key, /plain sends a DM the server can read"
                        ))
                ]
            }
            return [.show(.warning("\(user) has no end-to-end key; nothing sent. /plain \(user) <text> sends a DM the server can read"))]
        case .noSuchUser:
            return [.show(.warning("no such user \(user); nothing sent"))]
        case .failed(let reason):
            return [.show(.warning("cannot get \(user)'s key (\(reason)); nothing sent"))]
        }
    }

    func resolveFingerprint(of user: String, _ answer: KeyAnswer) -> [Output] {
        let mine = identity?.publicKey.fingerprint.description
        var result = Notice.Fingerprints(me: me, mine: mine, user: user, pinned: nil, offered: nil)
        var outputs: [Output] = []
        if user.lowercased() == me.lowercased() {
            result.pinned = mine
            if case .key(let published) = answer, published != identity?.publicKey {
                result.offered = published.fingerprint.description
            }
            return [.show(.fingerprints(result))]
        }
        switch answer {
        case .key(let offered):
            switch check(offered, of: user, outputs: &outputs) {
            case .firstUse, .matches:
                result.pinned = offered.fingerprint.description
            case .changed(let pinned):
                result.pinned = pinned.fingerprint.description
                result.offered = offered.fingerprint.description
            }
        case .noKey:
            result.pinned = pins.pin(for: user)?.fingerprint.description
            outputs.append(.show(.note("\(user) has published no end-to-end key")))
        case .noSuchUser:
            return [.show(.warning("no such user \(user)"))]
        case .failed(let reason):
            return [.show(.warning("cannot get \(user)'s key (\(reason))"))]
        }
        return outputs + [.show(.fingerprints(result))]
    }
}
