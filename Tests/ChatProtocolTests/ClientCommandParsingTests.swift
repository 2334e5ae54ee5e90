import ChatModel
import ChatProtocol
import XCTest

final class ClientCommandParsingTests: XCTestCase {
    private func room(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> RoomName {
        try XCTUnwrap(RoomName(text), "test room name \(text) must be valid", file: file, line: line)
    }

    private func assertParses(
        _ line: String,
        as expected: ClientCommand,
        file: StaticString = #filePath,
        line testLine: UInt = #line
    ) {
        XCTAssertEqual(ClientCommand.parse(line), .success(expected), "parsing \(line.debugDescription)", file: file, line: testLine)
    }

    private func assertFails(
        _ line: String,
        with expected: CommandParseError,
        file: StaticString = #filePath,
        line testLine: UInt = #line
    ) {
        XCTAssertEqual(ClientCommand.parse(line), .failure(expected), "parsing \(line.debugDescription)", file: file, line: testLine)
    }

    private func badArguments(_ command: ClientCommand.Kind, _ usage: String) -> CommandParseError {
        .badArguments(command: command, usage: usage)
    }

    // MARK: - Messages

    func testPlainLineIsMessage() {
        self.assertParses("hello everyone", as: .message("hello everyone"))
    }

    func testMessageIsVerbatim() {
        self.assertParses("  spaced\tout  ", as: .message("  spaced\tout  "))
        self.assertParses(" /join #x", as: .message(" /join #x"))
    }

    func testDoubleSlashEscapesOneSlash() {
        self.assertParses("//join is a command", as: .message("/join is a command"))
        self.assertParses("//", as: .message("/"))
        self.assertParses("///", as: .message("//"))
    }

    // MARK: - /login

    func testLogin() {
        self.assertParses("/login alice s3cret", as: .login(name: "alice", password: "s3cret"))
    }

    func testLoginPasswordWithSpacesAndUnicode() {
        self.assertParses(
            "/login alice correct horse  battery staple ✓ ünïcødé",
            as: .login(name: "alice", password: "correct horse  battery staple ✓ ünïcødé")
        )
    }

    func testLoginPasswordIsVerbatimAfterOneSpace() {
        self.assertParses("/login alice  leading", as: .login(name: "alice", password: " leading"))
        self.assertParses("/login alice trailing ", as: .login(name: "alice", password: "trailing "))
        self.assertParses("/login alice \tx", as: .login(name: "alice", password: "\tx"))
    }

    func testLoginToleratesSpacesBeforeName() {
        self.assertParses("/login    alice pw", as: .login(name: "alice", password: "pw"))
    }

    func testLoginNameIsRaw() {
        self.assertParses("/login Ünïcode!@# pw", as: .login(name: "Ünïcode!@#", password: "pw"))
    }

    func testLoginMissingArguments() {
        let error = self.badArguments(.login, "/login <name> <password>")
        self.assertFails("/login", with: error)
        self.assertFails("/login ", with: error)
        self.assertFails("/login alice", with: error)
        self.assertFails("/login alice ", with: error)
    }

    // MARK: - /join and /leave

    func testJoin() throws {
        self.assertParses("/join #rust", as: .join(try self.room("#rust")))
    }

    func testJoinKeepsDisplaySpelling() throws {
        guard case .success(.join(let room)) = ClientCommand.parse("/join #RuSt") else {
            return XCTFail("expected a join")
        }
        XCTAssertEqual(room.display, "#RuSt")
        XCTAssertEqual(room.key, "#rust")
    }

    func testJoinToleratesSpaceRuns() throws {
        self.assertParses("/join   #rust  ", as: .join(try self.room("#rust")))
    }

    func testJoinErrors() {
        let error = self.badArguments(.join, "/join <room>")
        self.assertFails("/join", with: error)
        self.assertFails("/join    ", with: error)
        self.assertFails("/join #a #b", with: error)
        self.assertFails("/join rust", with: .badRoomName("rust"))
        self.assertFails("/join #", with: .badRoomName("#"))
        self.assertFails("/join #no.dots", with: .badRoomName("#no.dots"))
    }

    func testLeave() throws {
        self.assertParses("/leave #Rust", as: .leave(try self.room("#rust")))
    }

    func testLeaveErrors() {
        let error = self.badArguments(.leave, "/leave <room>")
        self.assertFails("/leave", with: error)
        self.assertFails("/leave #a b", with: error)
        self.assertFails("/leave #bad!", with: .badRoomName("#bad!"))
    }

    // MARK: - /say

    func testSay() throws {
        self.assertParses("/say #rust hello  there ", as: .say(room: try self.room("#rust"), text: "hello  there "))
    }

    func testSayTextIsVerbatimAfterOneSpace() throws {
        self.assertParses("/say   #rust  indented", as: .say(room: try self.room("#rust"), text: " indented"))
    }

    func testSayErrors() {
        let error = self.badArguments(.say, "/say <room> <text>")
        self.assertFails("/say", with: error)
        self.assertFails("/say #rust", with: error)
        self.assertFails("/say #rust ", with: error)
        self.assertFails("/say #rust  \t ", with: error)
        self.assertFails("/say rust hello", with: .badRoomName("rust"))
    }

    // MARK: - /rooms and /help

    func testRooms() {
        self.assertParses("/rooms", as: .rooms(after: nil))
        self.assertParses("/rooms  ", as: .rooms(after: nil))
    }

    func testRoomsAfterARoomAsksForTheNextPage() throws {
        self.assertParses("/rooms #Rust", as: .rooms(after: try self.room("#rust")))
        self.assertParses("/rooms   #rust  ", as: .rooms(after: try self.room("#rust")))
    }

    func testRoomsErrors() {
        self.assertFails("/rooms #a #b", with: self.badArguments(.rooms, "/rooms [after]"))
        // The marker ends a ROOMS line; it is not a place to go on from.
        self.assertFails("/rooms +", with: .badRoomName("+"))
        self.assertFails("/rooms x", with: .badRoomName("x"))
    }

    func testHelp() {
        self.assertParses("/help", as: .help)
    }

    func testHelpRejectsArguments() {
        self.assertFails("/help join", with: self.badArguments(.help, "/help"))
    }

    // MARK: - /who

    func testWhoWithoutRoom() {
        self.assertParses("/who", as: .who(room: nil, after: nil))
        self.assertParses("/who ", as: .who(room: nil, after: nil))
    }

    func testWhoWithRoom() throws {
        self.assertParses("/who #lobby", as: .who(room: .lobby, after: nil))
        self.assertParses("/who  #Lobby ", as: .who(room: .lobby, after: nil))
    }

    func testWhoAfterAUserAsksForTheNextPage() {
        self.assertParses("/who #lobby Bob", as: .who(room: .lobby, after: "Bob"))
        self.assertParses("/who  #lobby  bob ", as: .who(room: .lobby, after: "bob"))
        // Any word: the server reads it as a place in the order of names.
        self.assertParses("/who #lobby #b", as: .who(room: .lobby, after: "#b"))
    }

    func testWhoErrors() {
        self.assertFails("/who #a bob carol", with: self.badArguments(.who, "/who [room [after]]"))
        self.assertFails("/who lobby", with: .badRoomName("lobby"))
        self.assertFails("/who lobby bob", with: .badRoomName("lobby"))
    }

    // MARK: - /msg

    func testMsg() {
        self.assertParses("/msg bob hi there", as: .msg(user: "bob", text: "hi there"))
        self.assertParses("/msg   bob  hi", as: .msg(user: "bob", text: " hi"))
    }

    func testMsgErrors() {
        let error = self.badArguments(.msg, "/msg <user> <text>")
        self.assertFails("/msg", with: error)
        self.assertFails("/msg bob", with: error)
        self.assertFails("/msg bob ", with: error)
        self.assertFails("/msg bob    ", with: error)
    }

    // MARK: - /passwd

    func testPasswdSplitsAtFirstSpace() {
        self.assertParses("/passwd old new pass phrase", as: .passwd(old: "old", new: "new pass phrase"))
        self.assertParses("/passwd  öld  ñew", as: .passwd(old: "öld", new: " ñew"))
    }

    func testPasswdErrors() {
        let error = self.badArguments(.passwd, #"/passwd "<old>" "<new>" | /passwd <old> <new>"#)
        self.assertFails("/passwd", with: error)
        self.assertFails("/passwd old", with: error)
        self.assertFails("/passwd old ", with: error)
    }

    func testQuotedPasswdCarriesAnyPassword() {
        self.assertParses(
            #"/passwd "correct horse battery staple" "a new  one""#,
            as: .passwd(old: "correct horse battery staple", new: "a new  one"))
        self.assertParses(#"/passwd   " lead and trail "   "x"  "#, as: .passwd(old: " lead and trail ", new: "x"))
        self.assertParses(#"/passwd "say \"hi\"" "back\\slash""#, as: .passwd(old: #"say "hi""#, new: #"back\slash"#))
        self.assertParses(#"/passwd "\"" "\\""#, as: .passwd(old: #"""#, new: #"\"#))
        self.assertParses("/passwd \"tab\there\" \"ünï cödé\"", as: .passwd(old: "tab\there", new: "ünï cödé"))
        // The legacy form is untouched: a quote later in the line is just a character.
        self.assertParses(#"/passwd old "new one""#, as: .passwd(old: "old", new: #""new one""#))
    }

    /// A quoted form that is not well formed is a usage error, never a password
    /// check: the old password it would have sent is not the one meant.
    func testMalformedQuotedPasswdIsAUsageError() {
        let error = self.badArguments(.passwd, #"/passwd "<old>" "<new>" | /passwd <old> <new>"#)
        for line in [
            #"/passwd "old with spaces"#,  // unterminated
            #"/passwd "old with spaces""#,  // no new password
            #"/passwd "old" new"#,  // new not quoted
            #"/passwd "old" "new"#,  // new unterminated
            #"/passwd "old""new""#,  // no space between
            #"/passwd "old" "new"x"#,  // text after the closing quote
            #"/passwd "old" "new" "extra""#,  // a third argument
            #"/passwd "o\ld" "new""#,  // an escape other than \" and \\
            #"/passwd "old\" "new""#,  // the escaped quote leaves it unterminated
            #"/passwd "" "new""#,  // empty old
            #"/passwd "old" """#,  // empty new
            #"/passwd "old\"#,  // a backslash at the end
        ] {
            self.assertFails(line, with: error)
        }
    }

    // MARK: - /ping and /quit

    func testPing() {
        self.assertParses("/ping", as: .ping(token: nil))
        self.assertParses("/ping ", as: .ping(token: nil))
        self.assertParses("/ping 12345", as: .ping(token: "12345"))
        self.assertParses("/ping a b  c", as: .ping(token: "a b  c"))
    }

    func testPong() {
        self.assertParses("/pong", as: .pong(token: nil))
        self.assertParses("/pong k3x9", as: .pong(token: "k3x9"))
    }

    // MARK: - End-to-end DMs

    func testKeySetAndGet() {
        self.assertParses("/key set AAEC+/8=", as: .setKey("AAEC+/8="))
        self.assertParses("/KEY GET Bob", as: .getKey(user: "Bob"))
        let error = self.badArguments(.key, "/key set <base64> | /key get <user>")
        self.assertFails("/key", with: error)
        self.assertFails("/key set", with: error)
        self.assertFails("/key get", with: error)
        self.assertFails("/key drop bob", with: error)
        self.assertFails("/key set a b", with: error)
    }

    func testEncryptedMessage() {
        self.assertParses("/emsg bob c2VhbGVk", as: .encryptedMessage(user: "bob", payload: "c2VhbGVk"))
        let error = self.badArguments(.emsg, "/emsg <user> <payload>")
        self.assertFails("/emsg", with: error)
        self.assertFails("/emsg bob", with: error)
        self.assertFails("/emsg bob two words", with: error)
    }

    // MARK: - Private rooms

    func testRoomOwnerCommands() throws {
        let plans = try self.room("#plans")
        self.assertParses("/private #Plans", as: .makePrivate(plans))
        self.assertParses("/public #plans", as: .makePublic(plans))
        self.assertParses("/invite bob #plans", as: .invite(user: "bob", room: plans))
        self.assertParses("/KICK  Bob   #plans ", as: .kick(user: "Bob", room: plans))
        self.assertParses("/drop #plans", as: .drop(plans))
    }

    func testRoomOwnerCommandErrors() {
        for (word, usage) in [("private", "/private <room>"), ("public", "/public <room>"), ("drop", "/drop <room>")] {
            let kind = ClientCommand.Kind(rawValue: word)!
            self.assertFails("/\(word)", with: self.badArguments(kind, usage))
            self.assertFails("/\(word) #a #b", with: self.badArguments(kind, usage))
            self.assertFails("/\(word) a", with: .badRoomName("a"))
        }
        for (kind, usage) in [(ClientCommand.Kind.invite, "/invite <user> <room>"), (.kick, "/kick <user> <room>")] {
            self.assertFails("/\(kind.rawValue)", with: self.badArguments(kind, usage))
            self.assertFails("/\(kind.rawValue) bob", with: self.badArguments(kind, usage))
            self.assertFails("/\(kind.rawValue) bob #a extra", with: self.badArguments(kind, usage))
            // The user comes first: a room there leaves the user's place as the room's.
            self.assertFails("/\(kind.rawValue) #a bob", with: .badRoomName("bob"))
        }
    }

    func testTopicShowsSetsOrClears() throws {
        let plans = try self.room("#plans")
        self.assertParses("/topic #plans", as: .showTopic(plans))
        self.assertParses("/topic #plans  \t ", as: .showTopic(plans))
        self.assertParses("/topic #plans release on  Friday ", as: .setTopic(room: plans, topic: "release on  Friday "))
        self.assertParses("/topic #plans -", as: .setTopic(room: plans, topic: nil))
        // Only a dash alone clears.
        self.assertParses("/topic #plans - ", as: .setTopic(room: plans, topic: "- "))
        self.assertParses("/topic #plans -1", as: .setTopic(room: plans, topic: "-1"))
        self.assertFails("/topic", with: self.badArguments(.topic, "/topic <room> [text | -]"))
        self.assertFails("/topic plans hello", with: .badRoomName("plans"))
    }

    func testQuit() {
        self.assertParses("/quit", as: .quit(message: nil))
        self.assertParses("/quit ", as: .quit(message: nil))
        self.assertParses("/quit see you all", as: .quit(message: "see you all"))
    }

    // MARK: - Command word

    func testCommandWordIsCaseInsensitive() throws {
        self.assertParses("/JOIN #rust", as: .join(try self.room("#rust")))
        self.assertParses("/Login Alice PW", as: .login(name: "Alice", password: "PW"))
        self.assertParses("/RoOmS", as: .rooms(after: nil))
        self.assertParses("/QUIT Bye", as: .quit(message: "Bye"))
    }

    func testUnknownCommandKeepsWordAsTyped() {
        self.assertFails("/Frobnicate now", with: .unknownCommand("/Frobnicate"))
        self.assertFails("/joinx #a", with: .unknownCommand("/joinx"))
        self.assertFails("/join#a", with: .unknownCommand("/join#a"))
        self.assertFails("/\u{1F600}", with: .unknownCommand("/\u{1F600}"))
    }

    func testSlashAloneIsUnknownCommand() {
        self.assertFails("/", with: .unknownCommand("/"))
        self.assertFails("/ hello", with: .unknownCommand("/"))
    }

    func testSeparatorIsASpaceScalarEvenBeforeACombiningMark() {
        // " \u{301}" is a single Character; the space must still separate the word.
        self.assertParses("/ping \u{301}x", as: .ping(token: "\u{301}x"))
    }

    func testSlashFollowedByCombiningMarkIsStillASlash() {
        self.assertFails("/\u{301}", with: .unknownCommand("/\u{301}"))
        self.assertParses("//\u{301}", as: .message("/\u{301}"))
    }

    func testTabIsNotASeparator() {
        self.assertFails("/join\t#a", with: .unknownCommand("/join\t#a"))
    }
}
