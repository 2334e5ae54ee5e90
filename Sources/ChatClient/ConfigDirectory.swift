import Foundation

/// Where the client keeps what it must remember per user: `$XDG_CONFIG_HOME/securechat`,
/// or `~/.config/securechat` (the XDG base directory rule). Created 0700.
///
/// - `ca.pem`: CA certificates to verify servers with when `--ca` is not given
///   (the person's own file; the client never writes it).
/// - `known-servers`: pinned server certificates (trust on first use).
/// - `known-keys`: pinned end-to-end public keys of other people.
/// - `keys/<user>@<server id>.key`: this machine's end-to-end key pair for an
///   account, the secret half sealed under the account password; the id is the
///   server's, from `server-ids` (``ServerIdentities``), not the address typed.
/// - `server-ids`: which public keys and addresses belong to which server id.
/// - `seen/<user>@<server id>`: the id of the last stored event shown for that
///   account, where the next catch-up starts (``LastSeenFile``).
public struct ConfigDirectory: Sendable {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// nil when neither `XDG_CONFIG_HOME` (absolute) nor `HOME` is set.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> ConfigDirectory? {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return ConfigDirectory(url: URL(fileURLWithPath: xdg).appendingPathComponent("securechat"))
        }
        if let home = environment["HOME"], home.hasPrefix("/") {
            return ConfigDirectory(url: URL(fileURLWithPath: home).appendingPathComponent(".config/securechat"))
        }
        return nil
    }

    public var certificateAuthorities: URL { url.appendingPathComponent("ca.pem") }
    public var knownServers: URL { url.appendingPathComponent("known-servers") }
    public var knownKeys: URL { url.appendingPathComponent("known-keys") }

    public var serverIdentities: URL { url.appendingPathComponent("server-ids") }

    public func keyFile(user: String, serverID: String) -> URL {
        url.appendingPathComponent("keys").appendingPathComponent("\(Self.fileSafe(user.lowercased()))@\(Self.fileSafe(serverID)).key")
    }

    public func lastSeenFile(user: String, serverID: String) -> URL {
        url.appendingPathComponent("seen").appendingPathComponent("\(Self.fileSafe(user.lowercased()))@\(Self.fileSafe(serverID))")
    }

    /// The name key files had before they were named by server id: by the address
    /// typed, so `localhost` and `127.0.0.1` had a key each. Read only to migrate.
    public func legacyKeyFile(user: String, server: ServerEndpoint) -> URL {
        url.appendingPathComponent("keys")
            .appendingPathComponent("\(Self.fileSafe(user.lowercased()))@\(Self.fileSafe(server.description)).key")
    }

    private static func fileSafe(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    }
}

/// A server as pins name it: `host:port`, or `[v6-address]:port`.
public struct ServerEndpoint: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host.lowercased()
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
