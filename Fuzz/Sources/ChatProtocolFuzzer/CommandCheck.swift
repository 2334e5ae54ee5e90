import ChatModel
import ChatProtocol

/// Parses each decoded line and checks what PROTOCOL.md promises about the result.
enum CommandCheck {
    static func run(_ line: String) -> ClientCommand? {
        let result = ClientCommand.parse(line)
        let scalars = Array(line.unicodeScalars)
        if case .success(let command) = result {
            // A client renders what the server parses: the same command must come back.
            let again = ClientCommand.parse(command.rendered)
            check(again == .success(command), "\(command) renders as \(command.rendered.debugDescription), parsed as \(again)")
        }

        guard scalars.first == "/" else {
            check(result == .success(.message(line)), "plain text did not parse as a message")
            return try? result.get()
        }
        if scalars.count > 1 && scalars[1] == "/" {
            let unescaped = String(String.UnicodeScalarView(scalars.dropFirst()))
            check(result == .success(.message(unescaped)), "// was not unescaped to a message")
            return try? result.get()
        }

        self.checkCaseInsensitive(line, scalars: scalars, result: result)
        switch result {
        case .success(let command):
            self.checkArguments(of: command, in: scalars)
            return command
        case .failure(.unknownCommand(let word)):
            let wordScalars = Array(word.unicodeScalars)
            check(wordScalars.first == "/" && !wordScalars.contains(" "), "bad unknown-command word \(word)")
            check(scalars.starts(with: wordScalars), "unknown-command word is not the line's first word")
        case .failure(.badRoomName(let text)):
            check(RoomName(text) == nil, "a valid room name was refused: \(text)")
            check(!text.isEmpty && !text.unicodeScalars.contains(" "), "bad-room-name text is not one word")
        case .failure(.badArguments(let command, let usage)):
            check(usage.hasPrefix("/\(command.rawValue)"), "usage \(usage) does not match \(command)")
        }
        return nil
    }

    /// An ASCII command word in another case parses the same (only an
    /// unknown-command error echoes the word as typed).
    private static func checkCaseInsensitive(
        _ line: String,
        scalars: [Unicode.Scalar],
        result: Result<ClientCommand, CommandParseError>
    ) {
        let wordEnd = scalars.firstIndex(of: " ") ?? scalars.endIndex
        guard scalars[..<wordEnd].allSatisfy(\.isASCII) else {
            return
        }
        let upper = String(String.UnicodeScalarView(scalars[..<wordEnd])).uppercased()
        let variant = upper + String(String.UnicodeScalarView(scalars[wordEnd...]))
        switch (result, ClientCommand.parse(variant)) {
        case (.failure(.unknownCommand), .failure(.unknownCommand)):
            break
        case (let original, let changed):
            check(original == changed, "case changed the meaning: \(original) vs \(changed)")
        }
    }

    private static func checkArguments(of command: ClientCommand, in scalars: [Unicode.Scalar]) {
        switch command {
        case .login(let name, let password):
            self.checkWord(name)
            check(!password.isEmpty, "empty login password")
            self.checkFreeTextIsSuffix(password, of: scalars)
        case .message:
            violation("a line starting with one / parsed as a message")
        case .join(let room), .leave(let room), .rooms(.some(let room)), .who(.some(let room), nil):
            self.checkRoom(room)
        case .who(.some(let room), .some(let after)):
            self.checkRoom(room)
            self.checkWord(after)
        case .who(.none, let after):
            check(after == nil, "/who without a room parsed a place to go on from")
        case .say(let room, let text):
            self.checkRoom(room)
            check(!text.unicodeScalars.allSatisfy(\.isBlank), "blank /say text")
            self.checkFreeTextIsSuffix(text, of: scalars)
        case .msg(let user, let text):
            self.checkWord(user)
            check(!text.unicodeScalars.allSatisfy(\.isBlank), "blank /msg text")
            self.checkFreeTextIsSuffix(text, of: scalars)
        case .passwd(let old, let new):
            check(!old.isEmpty && !new.isEmpty, "empty password in /passwd")
            // The quoted form (a `"` first) carries anything; the legacy one keeps
            // the old password one word and the new one the rest of the line.
            let arguments = scalars.drop { $0 != " " }.drop { $0 == " " }
            if arguments.first != "\"" {
                self.checkWord(old)
                self.checkFreeTextIsSuffix(new, of: scalars)
            }
        case .ping(let token):
            check(token != "", "empty ping token instead of nil")
            token.map { self.checkFreeTextIsSuffix($0, of: scalars) }
        case .pong(let token):
            check(token != "", "empty pong token instead of nil")
            token.map { self.checkFreeTextIsSuffix($0, of: scalars) }
        case .setKey(let key):
            self.checkWord(key)
        case .getKey(let user):
            self.checkWord(user)
        case .encryptedMessage(let user, let payload):
            self.checkWord(user)
            self.checkWord(payload)
        case .quit(let message):
            check(message != "", "empty quit message instead of nil")
            message.map { self.checkFreeTextIsSuffix($0, of: scalars) }
        case .history(let room, let count):
            self.checkRoom(room)
            check((1...1000).contains(count), "/history count \(count) out of range")
        case .capRequest(let capabilities):
            check(!capabilities.isEmpty, "/cap req without a capability")
            capabilities.forEach(self.checkWord)
        case .chatHistory(let query):
            check((1...1000).contains(query.limit), "/chathistory limit \(query.limit) out of range")
            switch query.target {
            case .room(let room): self.checkRoom(room)
            case .user(let user):
                self.checkWord(user)
                check(user.unicodeScalars.first != "#", "a #name parsed as a user")
            }
            switch query.selector {
            case .latest: break
            case .before(let id), .after(let id): check(id >= 0, "negative id")
            case .between(let first, let second): check(first >= 0 && second >= 0, "negative id")
            }
        case .catchUp(let after, let limit):
            check(after >= 0 && (1...1000).contains(limit), "/catchup \(after) \(limit) out of range")
        case .rooms(.none), .help, .capList:
            break
        }
    }

    private static func checkWord(_ word: String) {
        check(!word.isEmpty && !word.unicodeScalars.contains(" "), "argument \(word) is not one word")
    }

    private static func checkRoom(_ room: RoomName) {
        check(RoomName(room.display) == room, "room \(room.display) does not validate again")
        check(room.display.utf8.count <= 33 && room.key == room.display.lowercased(), "room \(room.display) is malformed")
    }

    /// Free text is the rest of the line verbatim.
    private static func checkFreeTextIsSuffix(_ text: String, of scalars: [Unicode.Scalar]) {
        let textScalars = Array(text.unicodeScalars)
        check(
            scalars.count > textScalars.count && scalars[(scalars.count - textScalars.count)...].elementsEqual(textScalars),
            "free text \(textScalars) is not the end of the line"
        )
        check(scalars[scalars.count - textScalars.count - 1] == " ", "free text does not follow a space")
    }
}
