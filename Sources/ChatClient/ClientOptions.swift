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
    /// Reconnect when the connection drops (``Reconnector``); nil: the mode's
    /// default, on interactively and off in script mode (`--reconnect`,
    /// `--no-reconnect`).
    public var reconnect: Bool?

    public init() {}

    public var server: ServerEndpoint { ServerEndpoint(host: host, port: port) }
}

/// Why the client stopped before or instead of chatting: printed as one line on
/// stderr, with exit status 1.
public struct ClientFailure: Error, Sendable, CustomStringConvertible {
    /// What a reconnecting client does about it.
    public enum Kind: Sendable, Equatable {
        /// Trying again will not help, or must not happen without the person: a
        /// refused certificate or password, a CA file that does not load.
        case final
        /// The server is down, restarting, busy or full: try again later.
        case transient
        /// The person asked to stop while it was under way.
        case cancelled
    }

    public let description: String
    public let kind: Kind

    public init(_ description: String, kind: Kind = .final) {
        self.description = description
        self.kind = kind
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
    /// A connection ``Reconnector`` started (its `attempt`-th) is up, or why not.
    case connectAttempt(Int, Result<ServerTrust.Connected, ClientFailure>)
}
