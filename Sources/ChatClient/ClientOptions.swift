import ChatCrypto

/// What the `securechat` command line chose.
public struct ClientOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 7443
    /// PEM CA bundle for verifying the server (`--ca`); nil: the config directory's
    /// `ca.pem` if there is one, else the system's roots.
    public var trustRootsPath: String?
    public var user: String?
    /// Read the password from the first line of stdin instead of the terminal.
    public var passwordFromStandardInput = false
    /// Pin the server's certificate on first contact if none is pinned yet.
    public var trustOnFirstUse = false
    /// nil: `ConfigDirectory.standard()`.
    public var configDirectory: ConfigDirectory?
    /// Argon2id cost for sealing a new key file.
    public var keyFileCost: PasswordCost = .interactive
    /// Ring the terminal bell on a DM or a mention of your name (interactive mode).
    public var bell = true

    public init() {}

    public var server: ServerEndpoint { ServerEndpoint(host: host, port: port) }
}

/// Why the client stopped before or instead of chatting: printed as one line on
/// stderr, with exit status 1.
public struct ClientFailure: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Everything the client's single event loop reacts to.
public enum ClientEvent: Sendable {
    case connection(ChatConnection.Event)
    /// A line of the script (script mode).
    case scriptLine(String)
    /// Bytes typed on the terminal (interactive mode).
    case keyboard([UInt8])
    /// Standard input ended.
    case inputEnded
    case terminalResized
    /// SIGTERM or SIGHUP: leave cleanly.
    case terminate
    /// A deadline the runner set has passed.
    case deadline(String)
}
