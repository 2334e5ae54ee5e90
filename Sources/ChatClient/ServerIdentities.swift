import Foundation

/// Which server this is, by something steadier than the address typed to reach it,
/// so that an account's end-to-end key file follows the server and not its
/// spelling: `127.0.0.1` and `localhost`, another port, a renewed certificate.
///
/// A server's id is its certificate's public key (SPKI SHA-256) when this client
/// first met it: `spki-` and the first 128 bits in hex. The file `server-ids`
/// remembers each id's aliases, one per line,
///
/// ```text
/// spki-3a9f…c2 spki:3a9f…c2…
/// spki-3a9f…c2 127.0.0.1:7443
/// ```
///
/// the public keys the server has presented (`spki:<full hex>`) and the addresses
/// it was reached at. A connection is recognised by its public key first (any
/// address, any port, and renewals that keep the key), else by its address (a
/// renewal with a new key, which is what certbot does by default); either way the
/// other alias is added, so the next change of one of the two is recognised too.
/// Only a new key at a new address at once is a new server.
///
/// Why not the name in `HELLO`: it is `securechat` on every server that does not
/// set one, so it cannot tell servers apart, and two accounts of one name on two
/// servers must not share a key file. Why not the certificate's own fingerprint:
/// it changes at every renewal.
public struct ServerIdentities: Sendable {
    public let file: URL

    public init(file: URL) {
        self.file = file
    }

    /// The id of the server reached at `endpoint` presenting the public key with
    /// this SHA-256; records whichever of the two aliases is new.
    public func identify(endpoint: ServerEndpoint, publicKeySHA256: [UInt8]) throws -> String {
        let hex = publicKeySHA256.map { String(format: "%02x", $0) }.joined()
        let keyAlias = "spki:\(hex)"
        let address = endpoint.description
        let text =
            try PrivateFile.read(file)
            ?? "# securechat server identities: <id> <alias>; an alias is spki:<SHA-256 of the server's public key> or <host>:<port>\n"
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        func entry(_ line: String) -> (id: String, alias: String)? {
            let words = line.split(separator: " ").map(String.init)
            guard words.count == 2, !words[0].hasPrefix("#") else { return nil }
            return (words[0], words[1].lowercased())
        }
        let byKey = lines.compactMap(entry).first { $0.alias == keyAlias }?.id
        let byAddress = lines.compactMap(entry).last { $0.alias == address }?.id
        let id = byKey ?? byAddress ?? "spki-\(hex.prefix(32))"

        var changed = false
        if byKey == nil {
            lines.append("\(id) \(keyAlias)")
            changed = true
        }
        if byAddress != id {
            // An address now serving a server known by its key moves to that server.
            lines.removeAll { entry($0)?.alias == address }
            lines.append("\(id) \(address)")
            changed = true
        }
        if changed {
            try PrivateFile.write(lines.joined(separator: "\n") + "\n", to: file)
        }
        return id
    }
}
