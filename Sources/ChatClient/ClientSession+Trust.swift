import ChatCrypto

/// `/trust <user> <fingerprint>`: confirming a changed key. The key is pinned only if
/// the one the server offers now has the fingerprint the person typed, the one they
/// compared with its owner. Trusting "the key offered last" would let a server show
/// one key in the warning and swap in its own before the command.
extension ClientSession {
    static let trustUsage = "/trust <user> <fingerprint>"

    func trust(_ user: String, typedFingerprint typed: String) -> [Output] {
        let key = user.lowercased()
        guard let offered = changedKeys[key] else {
            let nothingWaiting = Output.show(.note("no changed key of \(user) is waiting for confirmation; /fingerprint \(user) shows the pinned one"))
            return typed.isEmpty ? usage(Self.trustUsage) + [nothingWaiting] : [nothingWaiting]
        }
        let pinned = pins.pin(for: user)
        guard !typed.isEmpty else {
            return usage(Self.trustUsage) + [
                .show(
                    .note(
                        "the server offers \(user) a key with fingerprint \(offered.fingerprint) (pinned: \(pinned.map { $0.fingerprint.description } ?? "none")); compare it with \(user) out of band, then type /trust \(user) and the fingerprint you compared"
                    ))
            ]
        }
        guard let fingerprint = TypedFingerprint(typed) else {
            return [.show(.warning("\"\(typed)\" is not a key fingerprint (32 hex digits, as /fingerprint shows them); nothing trusted"))]
        }
        if let pinned, fingerprint.matches(pinned.fingerprint) {
            return [
                .show(
                    .note(
                        "\(fingerprint) is \(user)'s pinned key, which stays pinned; the key the server offers instead (\(offered.fingerprint)) is not trusted, and nothing is sent to \(user) while it offers that one"
                    ))
            ]
        }
        guard fingerprint.matches(offered.fingerprint) else {
            return [
                .show(
                    .warning(
                        "REFUSED: \(fingerprint) is not the fingerprint of the key the server now offers for \(user) (\(offered.fingerprint)): the key may have been swapped after the warning you checked. Nothing trusted; compare again with /fingerprint \(user)"
                    ))
            ]
        }
        changedKeys.removeValue(forKey: key)
        var outputs: [Output] = []
        do {
            try pins.set(offered, for: user)
        } catch {
            outputs.append(.show(.warning("cannot save the pinned key: \(error)")))
        }
        verifiedAt[key] = now()
        outputs.append(.show(.keyTrusted(user: user, fingerprint: offered.fingerprint.description)))
        let held = heldForTrust.removeValue(forKey: key) ?? []
        return outputs + held.map { openOrReject($0, with: offered) }
    }
}
