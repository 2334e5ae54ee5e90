extension ClientCommand {
    /// A command by its word, for the rules that depend on which command it is
    /// rather than on its arguments: what may be used before login, and which
    /// command an `OK <command>` line acknowledges.
    ///
    /// The raw value is the word as `OK` lines carry it: lowercased, without the
    /// slash (`/key set` and `/key get` are both `key`).
    public enum Kind: String, Sendable, CaseIterable {
        case login, join, leave, say, rooms, who, history, chathistory, catchup, msg, key, emsg, passwd, cap, ping, pong, help, quit
        // A room owner's commands; `private` and `public` are Swift keywords.
        case makePrivate = "private", makePublic = "public", invite, kick, topic, drop

        /// `/login`, `/cap`, `/ping`, `/pong`, `/help` and `/quit`: before login every
        /// other line gets `ERR login-required`, so that nothing is revealed to a
        /// client that has not logged in. `/cap` reveals only what the server offers,
        /// and a client negotiates before logging in so that even the DMs waiting for
        /// it come stamped.
        public var isAllowedBeforeLogin: Bool {
            switch self {
            case .login, .cap, .ping, .pong, .help, .quit:
                return true
            case .join, .leave, .say, .rooms, .who, .history, .chathistory, .catchup, .msg, .key, .emsg, .passwd:
                return false
            case .makePrivate, .makePublic, .invite, .kick, .topic, .drop:
                return false
            }
        }
    }

    /// The command's kind; `nil` for a plain line, which has no command word.
    public var kind: Kind? {
        switch self {
        case .login: return .login
        case .message: return nil
        case .join: return .join
        case .leave: return .leave
        case .say: return .say
        case .rooms: return .rooms
        case .who: return .who
        case .msg: return .msg
        case .passwd: return .passwd
        case .ping: return .ping
        case .pong: return .pong
        case .help: return .help
        case .quit: return .quit
        case .setKey, .getKey: return .key
        case .encryptedMessage: return .emsg
        case .history: return .history
        case .makePrivate: return .makePrivate
        case .makePublic: return .makePublic
        case .invite: return .invite
        case .kick: return .kick
        case .showTopic, .setTopic: return .topic
        case .drop: return .drop
        case .capList, .capRequest: return .cap
        case .chatHistory: return .chathistory
        case .catchUp: return .catchup
        }
    }
}
