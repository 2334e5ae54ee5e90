import ChatCrypto

/// This device's end-to-end key for the account: opened from the key file with the
/// login password, made and saved on first login, or — when the file was sealed
/// under an earlier password — opened with that one (asked on the terminal) and
/// sealed again under the current one.
enum ClientIdentity {
    static func unlock(
        file: IdentityKeyFile,
        password: String,
        askOldPassword: (() -> String?)?
    ) -> (identity: BoxKeyPair?, notices: [Notice]) {
        let off = "end-to-end DMs are off for this session"
        do {
            switch try file.load(password: password) {
            case .unlocked(let keyPair):
                return (keyPair, [])
            case .absent:
                let keyPair = BoxKeyPair.generate()
                try file.save(keyPair, password: password)
                return (
                    keyPair,
                    [
                        .note(
                            "made your end-to-end key for this device (fingerprint \(keyPair.publicKey.fingerprint)), sealed under your password in \(file.url.path)"
                        )
                    ]
                )
            case .locked:
                if let old = askOldPassword?(), !old.isEmpty {
                    if case .unlocked(let keyPair) = try file.load(password: old) {
                        try file.save(keyPair, password: password)
                        return (keyPair, [.note("opened your key file with the earlier password and sealed it again under the current one")])
                    }
                }
                return (
                    nil,
                    [
                        .warning(
                            "your key file \(file.url.path) does not open with this password (sealed under an earlier one?); \(off). To start over with a new key, move the file away; your contacts will then see a key-change warning"
                        )
                    ]
                )
            }
        } catch {
            return (nil, [.warning("\(error); \(off)")])
        }
    }
}
