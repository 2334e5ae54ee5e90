import ChatModel

extension ClientCommand {
    /// Parses one line from ``LineFrameDecoder``.
    ///
    /// A line not starting with `/` is a message; `//` escapes a leading slash.
    /// The command word is case-insensitive. Runs of spaces may separate a
    /// command's name-like arguments, but free text (a password, message text, a
    /// ping token, a quit message) is the rest of the line verbatim after exactly
    /// one separating space, so passwords may begin or end with spaces.
    ///
    /// Errors are checked in a fixed order: unknown command, then the number of
    /// arguments (`badArguments`), then the room name (`badRoomName`).
    public static func parse(_ line: String) -> Result<ClientCommand, CommandParseError> {
        // Work on Unicode scalars, not Characters: a combining mark after a slash or
        // a space would merge with it into one Character and hide it.
        let scalars = Substring(line).unicodeScalars
        guard scalars.first == "/" else {
            return .success(.message(line))
        }
        if scalars.dropFirst().first == "/" {
            return .success(.message(String(scalars.dropFirst())))
        }

        let wordEnd = scalars.firstIndex(of: " ") ?? scalars.endIndex
        let word = String(scalars[..<wordEnd])
        var arguments = ArgumentScanner(scalars[wordEnd...])

        guard let kind = Kind(rawValue: word.dropFirst().lowercased()) else {
            return .failure(.unknownCommand(word))
        }
        switch kind {
        case .login:
            return parseLogin(&arguments)
        case .join:
            return parseRoomCommand(&arguments, syntax: .join).map(ClientCommand.join)
        case .leave:
            return parseRoomCommand(&arguments, syntax: .leave).map(ClientCommand.leave)
        case .say:
            return parseSay(&arguments)
        case .rooms:
            return parseRooms(&arguments)
        case .who:
            return parseWho(&arguments)
        case .history:
            return parseHistory(&arguments)
        case .chathistory:
            return parseChatHistory(&arguments)
        case .catchup:
            return parseCatchUp(&arguments)
        case .cap:
            return parseCap(&arguments)
        case .msg:
            return parseMsg(&arguments)
        case .passwd:
            return parsePasswd(&arguments)
        case .key:
            return parseKey(&arguments)
        case .emsg:
            return parseEncryptedMessage(&arguments)
        case .ping:
            return .success(.ping(token: arguments.optionalFreeText()))
        case .pong:
            return .success(.pong(token: arguments.optionalFreeText()))
        case .help:
            return arguments.isAtEnd ? .success(.help) : .failure(CommandSyntax.help.badArguments)
        case .quit:
            return .success(.quit(message: arguments.optionalFreeText()))
        case .makePrivate:
            return parseRoomCommand(&arguments, syntax: .makePrivate).map(ClientCommand.makePrivate)
        case .makePublic:
            return parseRoomCommand(&arguments, syntax: .makePublic).map(ClientCommand.makePublic)
        case .invite:
            return parseUserAndRoom(&arguments, syntax: .invite).map(ClientCommand.invite)
        case .kick:
            return parseUserAndRoom(&arguments, syntax: .kick).map(ClientCommand.kick)
        case .topic:
            return parseTopic(&arguments)
        case .drop:
            return parseRoomCommand(&arguments, syntax: .drop).map(ClientCommand.drop)
        }
    }

    private static func parseLogin(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        guard let name = arguments.token() else {
            return .failure(CommandSyntax.login.badArguments)
        }
        let password = arguments.freeText()
        guard !password.isEmpty else {
            return .failure(CommandSyntax.login.badArguments)
        }
        return .success(.login(name: name, password: password))
    }

    private static func parseRoomCommand(
        _ arguments: inout ArgumentScanner,
        syntax: CommandSyntax
    ) -> Result<RoomName, CommandParseError> {
        guard let text = arguments.token(), arguments.isAtEnd else {
            return .failure(syntax.badArguments)
        }
        return room(text)
    }

    private static func parseSay(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        guard let roomText = arguments.token() else {
            return .failure(CommandSyntax.say.badArguments)
        }
        let text = arguments.freeText()
        guard !isBlank(text) else {
            return .failure(CommandSyntax.say.badArguments)
        }
        return room(roomText).map { .say(room: $0, text: text) }
    }

    private static func parseRooms(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        guard let after = arguments.token() else {
            return .success(.rooms(after: nil))
        }
        guard arguments.isAtEnd else {
            return .failure(CommandSyntax.rooms.badArguments)
        }
        return room(after).map { .rooms(after: $0) }
    }

    private static func parseWho(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        guard let roomText = arguments.token() else {
            return .success(.who(room: nil, after: nil))
        }
        let after = arguments.token()
        guard arguments.isAtEnd else {
            return .failure(CommandSyntax.who.badArguments)
        }
        return room(roomText).map { .who(room: $0, after: after) }
    }

    private static func parseHistory(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        guard let roomText = arguments.token() else {
            return .failure(CommandSyntax.history.badArguments)
        }
        var count = ClientCommand.defaultHistoryCount
        if let countText = arguments.token() {
            guard countText.utf8.count <= 4, countText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                let number = Int(countText), (1...ClientCommand.maxHistoryCount).contains(number)
            else {
                return .failure(CommandSyntax.history.badArguments)
            }
            count = number
        }
        guard arguments.isAtEnd else {
            return .failure(CommandSyntax.history.badArguments)
        }
        return room(roomText).map { .history(room: $0, count: count) }
    }

    /// `/chathistory <selector> <target> [id [id]] [limit]`; the selector word is
    /// case-insensitive like the command word.
    private static func parseChatHistory(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        let bad = Result<ClientCommand, CommandParseError>.failure(CommandSyntax.chathistory.badArguments)
        guard let word = arguments.token(), let targetText = arguments.token() else { return bad }
        let selector: ChatHistoryQuery.Selector
        switch word.lowercased() {
        case "latest":
            selector = .latest
        case "before", "after":
            guard let id = arguments.token().flatMap(eventID) else { return bad }
            selector = word.lowercased() == "before" ? .before(id) : .after(id)
        case "between":
            guard let first = arguments.token().flatMap(eventID), let second = arguments.token().flatMap(eventID) else { return bad }
            selector = .between(first, second)
        default:
            return bad
        }
        var limit = ClientCommand.defaultChatHistoryLimit
        if let limitText = arguments.token() {
            guard let number = pageLimit(limitText) else { return bad }
            limit = number
        }
        guard arguments.isAtEnd else { return bad }
        return target(targetText).map { .chatHistory(ChatHistoryQuery(selector, target: $0, limit: limit)) }
    }

    private static func parseCatchUp(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        let bad = Result<ClientCommand, CommandParseError>.failure(CommandSyntax.catchup.badArguments)
        guard let id = arguments.token().flatMap(eventID) else { return bad }
        var limit = ClientCommand.defaultCatchUpLimit
        if let limitText = arguments.token() {
            guard let number = pageLimit(limitText) else { return bad }
            limit = number
        }
        guard arguments.isAtEnd else { return bad }
        return .success(.catchUp(after: id, limit: limit))
    }

    /// `/cap ls` or `/cap req <word>...`; the sub-command is case-insensitive, the
    /// capability words are the server's to judge.
    private static func parseCap(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        let bad = Result<ClientCommand, CommandParseError>.failure(CommandSyntax.cap.badArguments)
        guard let word = arguments.token() else { return bad }
        switch word.lowercased() {
        case "ls":
            return arguments.isAtEnd ? .success(.capList) : bad
        case "req":
            var capabilities: [String] = []
            while let capability = arguments.token() {
                capabilities.append(capability)
            }
            return capabilities.isEmpty ? bad : .success(.capRequest(capabilities))
        default:
            return bad
        }
    }

    /// An event id: decimal digits, 0 to `Int64.max`.
    private static func eventID(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int64(text)
    }

    /// A page size: 1 to ``ClientCommand/maxPageLimit``, decimal digits only.
    private static func pageLimit(_ text: String) -> Int? {
        guard text.utf8.count <= 4, let number = eventID(text), (1...Int64(ClientCommand.maxPageLimit)).contains(number) else { return nil }
        return Int(number)
    }

    /// A room when it starts with `#` (and must then be a valid room name), else a user.
    private static func target(_ text: String) -> Result<ConversationTarget, CommandParseError> {
        text.unicodeScalars.first == "#" ? room(text).map(ConversationTarget.room) : .success(.user(text))
    }

    private static func parseMsg(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        guard let user = arguments.token() else {
            return .failure(CommandSyntax.msg.badArguments)
        }
        let text = arguments.freeText()
        guard !isBlank(text) else {
            return .failure(CommandSyntax.msg.badArguments)
        }
        return .success(.msg(user: user, text: text))
    }

    /// Two forms. Quoted, chosen by a `"` at the start of the first argument:
    /// `/passwd "<old>" "<new>"`, each password quoted (``QuotedArgument``), so
    /// either may hold anything. Legacy: `/passwd <old> <new>`, the old password
    /// one word and the new one the rest of the line, as before.
    private static func parsePasswd(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        if arguments.nextIsQuoted {
            guard let old = arguments.quoted(), let new = arguments.quoted(), arguments.isAtEnd, !old.isEmpty, !new.isEmpty else {
                return .failure(CommandSyntax.passwd.badArguments)
            }
            return .success(.passwd(old: old, new: new))
        }
        guard let old = arguments.token() else {
            return .failure(CommandSyntax.passwd.badArguments)
        }
        let new = arguments.freeText()
        guard !new.isEmpty else {
            return .failure(CommandSyntax.passwd.badArguments)
        }
        return .success(.passwd(old: old, new: new))
    }

    private static func parseKey(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        guard let action = arguments.token(), let value = arguments.token(), arguments.isAtEnd else {
            return .failure(CommandSyntax.key.badArguments)
        }
        switch action.lowercased() {
        case "set": return .success(.setKey(value))
        case "get": return .success(.getKey(user: value))
        default: return .failure(CommandSyntax.key.badArguments)
        }
    }

    private static func parseEncryptedMessage(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        guard let user = arguments.token(), let payload = arguments.token(), arguments.isAtEnd else {
            return .failure(CommandSyntax.emsg.badArguments)
        }
        return .success(.encryptedMessage(user: user, payload: payload))
    }

    /// `/invite <user> <room>` and `/kick <user> <room>`: the user first, as IRC's
    /// `INVITE` has it.
    private static func parseUserAndRoom(
        _ arguments: inout ArgumentScanner,
        syntax: CommandSyntax
    ) -> Result<(user: String, room: RoomName), CommandParseError> {
        guard let user = arguments.token(), let roomText = arguments.token(), arguments.isAtEnd else {
            return .failure(syntax.badArguments)
        }
        return room(roomText).map { (user, $0) }
    }

    /// `/topic <room>` shows the topic; `/topic <room> <text>` sets it to the rest of
    /// the line, verbatim; `/topic <room> -` clears it. Blank text shows, as if absent.
    private static func parseTopic(_ arguments: inout ArgumentScanner) -> Result<ClientCommand, CommandParseError> {
        guard let roomText = arguments.token() else {
            return .failure(CommandSyntax.topic.badArguments)
        }
        let text = arguments.freeText()
        return room(roomText).map { room in
            if isBlank(text) { return .showTopic(room) }
            return .setTopic(room: room, topic: text == ClientCommand.clearTopicText ? nil : text)
        }
    }

    private static func room(_ text: String) -> Result<RoomName, CommandParseError> {
        guard let room = RoomName(text) else {
            return .failure(.badRoomName(text))
        }
        return .success(room)
    }

    /// Text of only spaces and TABs carries no message; rejecting it mirrors the
    /// decoder dropping blank lines.
    private static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0 == " " || $0 == "\t" }
    }
}
