import ChatCrypto
import Foundation

/// Other people's end-to-end public keys, pinned the first time they are seen
/// (trust on first use) and changed only when the person confirms (`/trust`).
///
/// File format, one line per pinned key:
///
/// ```text
/// 127.0.0.1:7443 bob 5rGd…Q=
/// ```
///
/// server, user name (lower case: names are unique ignoring case), standard base64
/// of the 32-byte X25519 public key. `#` starts a comment; other servers' lines and
/// lines this version does not read are kept as they are.
public final class PeerKeyPins {
    public let file: URL?
    public let server: ServerEndpoint
    private var pins: [String: BoxPublicKey]

    /// - Parameter file: nil keeps pins in memory only (tests).
    public init(file: URL?, server: ServerEndpoint) throws {
        self.file = file
        self.server = server
        self.pins = [:]
        guard let file, let text = try PrivateFile.read(file) else { return }
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard words.count == 3, !words[0].hasPrefix("#"), words[0].lowercased() == server.description else { continue }
            guard let key = BoxPublicKey(base64: words[2]) else {
                throw PrivateFile.Failure(description: "\(file.path): the pinned key of \(words[1]) is not a valid public key")
            }
            pins[words[1].lowercased()] = key
        }
    }

    public func pin(for user: String) -> BoxPublicKey? {
        pins[user.lowercased()]
    }

    /// Pins (or re-pins) `key` for `user` and saves the file.
    public func set(_ key: BoxPublicKey, for user: String) throws {
        pins[user.lowercased()] = key
        guard let file else { return }
        let existing = try PrivateFile.read(file) ?? "# securechat pinned end-to-end keys: <server> <user> <base64 X25519 public key>\n"
        var lines = existing.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let entry = "\(server) \(user.lowercased()) \(key.base64)"
        if let index = lines.firstIndex(where: { line in
            let words = line.split(separator: " ").map(String.init)
            return words.count == 3 && words[0].lowercased() == server.description && words[1].lowercased() == user.lowercased()
        }) {
            lines[index] = entry
        } else {
            lines.append(entry)
        }
        try PrivateFile.write(lines.joined(separator: "\n") + "\n", to: file)
    }
}
