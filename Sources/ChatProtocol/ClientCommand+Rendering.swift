extension ClientCommand {
    /// The line a client sends for this command, without its terminator: the
    /// inverse of ``parse(_:)``, so that the client and the server share one
    /// grammar.
    ///
    /// Arguments are written as given, one space apart. The caller keeps to what
    /// ``parse(_:)`` would accept (name-like arguments single words, required text
    /// not empty); this does not check, as the server does. `/passwd` takes the
    /// quoted form when the old password does not fit the legacy one. A message that starts
    /// with `/` is escaped as `//`. `who(room: nil, after:)`, which parsing never
    /// makes, is sent as `/who`: `after` needs a room before it.
    public var rendered: String {
        switch self {
        case .login(let name, let password):
            return Self.line(.login, [name, password])
        case .message(let text):
            return text.unicodeScalars.first == "/" ? "/" + text : text
        case .join(let room):
            return Self.line(.join, [room.display])
        case .leave(let room):
            return Self.line(.leave, [room.display])
        case .say(let room, let text):
            return Self.line(.say, [room.display, text])
        case .rooms(let after):
            return Self.line(.rooms, [], optional: after?.display)
        case .who(let room?, let after):
            return Self.line(.who, [room.display], optional: after)
        case .who(nil, _):
            return Self.line(.who, [])
        case .msg(let user, let text):
            return Self.line(.msg, [user, text])
        case .passwd(let old, let new) where Self.fitsLegacyPasswd(old: old):
            return Self.line(.passwd, [old, new])
        case .passwd(let old, let new):
            return "/" + Kind.passwd.rawValue + " " + QuotedArgument.quoted(old) + " " + QuotedArgument.quoted(new)
        case .ping(let token):
            return Self.line(.ping, [], optional: token)
        case .pong(let token):
            return Self.line(.pong, [], optional: token)
        case .help:
            return Self.line(.help, [])
        case .quit(let message):
            return Self.line(.quit, [], optional: message)
        case .setKey(let key):
            return Self.line(.key, ["set", key])
        case .getKey(let user):
            return Self.line(.key, ["get", user])
        case .encryptedMessage(let user, let payload):
            return Self.line(.emsg, [user, payload])
        case .history(let room, let count):
            return Self.line(.history, [room.display, String(count)])
        case .makePrivate(let room):
            return Self.line(.makePrivate, [room.display])
        case .makePublic(let room):
            return Self.line(.makePublic, [room.display])
        case .invite(let user, let room):
            return Self.line(.invite, [user, room.display])
        case .kick(let user, let room):
            return Self.line(.kick, [user, room.display])
        case .showTopic(let room):
            return Self.line(.topic, [room.display])
        case .setTopic(let room, let topic):
            return Self.line(.topic, [room.display, topic ?? Self.clearTopicText])
        case .drop(let room):
            return Self.line(.drop, [room.display])
        case .capList:
            return Self.line(.cap, ["ls"])
        case .capRequest(let capabilities):
            return Self.line(.cap, ["req"] + capabilities)
        case .chatHistory(let query):
            var arguments = [query.selector.word, query.target.display]
            switch query.selector {
            case .latest: break
            case .before(let id), .after(let id): arguments.append(String(id))
            case .between(let first, let second): arguments += [String(first), String(second)]
            }
            return Self.line(.chathistory, arguments + [String(query.limit)])
        case .catchUp(let after, let limit):
            return Self.line(.catchup, [String(after), String(limit)])
        }
    }

    /// The legacy `/passwd <old> <new>` carries `old` when it is one word that does
    /// not start with a quote; it is preferred then, since servers that predate the
    /// quoted form read it too.
    private static func fitsLegacyPasswd(old: String) -> Bool {
        !old.isEmpty && !old.unicodeScalars.contains(" ") && old.unicodeScalars.first != QuotedArgument.quote
    }

    /// `/word`, then the arguments one space apart. A last optional argument that
    /// is absent or empty is left out with its space: parsing reads both as absent.
    private static func line(_ kind: Kind, _ arguments: [String], optional: String? = nil) -> String {
        var line = "/" + kind.rawValue
        for argument in arguments {
            line += " " + argument
        }
        if let optional, !optional.isEmpty {
            line += " " + optional
        }
        return line
    }
}
