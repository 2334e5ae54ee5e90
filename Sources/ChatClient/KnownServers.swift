import ChatCrypto
import Foundation

/// Pinned server certificates, like SSH's known_hosts: one line per server,
///
/// ```text
/// 127.0.0.1:7443 sha256 3A:9F:…:C2
/// ```
///
/// the SHA-256 of the server's leaf certificate (DER) in the colon form
/// `openssl x509 -noout -fingerprint -sha256` prints. `#` starts a comment. Lines
/// this version does not understand are kept when the file is rewritten.
public struct KnownServers: Sendable {
    public let file: URL

    public init(file: URL) {
        self.file = file
    }

    public struct Damaged: Error, CustomStringConvertible {
        public let description: String
    }

    /// The pinned SHA-256 for `server`, if any. A line for the server that cannot be
    /// read is an error, not "no pin": silently ignoring it would turn a pinned
    /// server back into an unpinned one.
    public func pin(for server: ServerEndpoint) throws -> [UInt8]? {
        guard let text = try PrivateFile.read(file) else { return nil }
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = line.split(separator: " ")
            guard let first = words.first, !first.hasPrefix("#"), String(first).lowercased() == server.description else {
                continue
            }
            guard words.count == 3, words[1] == "sha256", let digest = SHA256.parseColonHex(String(words[2])) else {
                throw Damaged(description: "\(file.path) line \(number + 1) for \(server) is not '<server> sha256 <fingerprint>'")
            }
            return digest
        }
        return nil
    }

    /// Adds the pin for `server` (which must have none yet).
    public func add(_ sha256: [UInt8], for server: ServerEndpoint) throws {
        var text = try PrivateFile.read(file) ?? "# securechat known servers: <host>:<port> sha256 <SHA-256 of the leaf certificate>\n"
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        text += "\(server) sha256 \(SHA256.colonHex(sha256))\n"
        try PrivateFile.write(text, to: file)
    }

    /// Replaces the pin for `server` (a renewed certificate the CA vouches for),
    /// keeping every other line; adds one if there was none.
    public func replace(with sha256: [UInt8], for server: ServerEndpoint) throws {
        guard let text = try PrivateFile.read(file), let number = lineNumber(of: server) else {
            try add(sha256, for: server)
            return
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[number - 1] = "\(server) sha256 \(SHA256.colonHex(sha256))"
        try PrivateFile.write(lines.joined(separator: "\n"), to: file)
    }

    /// The line number (1-based) of `server`'s pin, for telling people what to remove.
    public func lineNumber(of server: ServerEndpoint) -> Int? {
        guard let text = try? PrivateFile.read(file) else { return nil }
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where line.split(separator: " ").first.map({ String($0).lowercased() == server.description }) == true {
            return number + 1
        }
        return nil
    }
}
