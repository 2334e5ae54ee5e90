import ChatModel
import ChatProtocol
import XCTest

final class ClientCommandRenderingTests: XCTestCase {
    private func room(_ text: String) -> RoomName {
        RoomName(text)!
    }

    private func assertRenders(
        _ command: ClientCommand,
        as expected: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertEqual(command.rendered, expected, file: file, line: line)
        XCTAssertEqual(ClientCommand.parse(expected), .success(command), "\(expected) does not parse back", file: file, line: line)
    }

    func testEveryCommandRendersTheLineThatParsesBackToIt() {
        self.assertRenders(.login(name: "alice", password: " correct horse  "), as: "/login alice  correct horse  ")
        self.assertRenders(.message("hello everyone"), as: "hello everyone")
        self.assertRenders(.join(self.room("#Rust")), as: "/join #Rust")
        self.assertRenders(.leave(self.room("#Rust")), as: "/leave #Rust")
        self.assertRenders(.say(room: self.room("#a"), text: " hi\tall "), as: "/say #a  hi\tall ")
        self.assertRenders(.rooms(after: nil), as: "/rooms")
        self.assertRenders(.rooms(after: self.room("#go")), as: "/rooms #go")
        self.assertRenders(.who(room: nil, after: nil), as: "/who")
        self.assertRenders(.who(room: self.room("#a"), after: nil), as: "/who #a")
        self.assertRenders(.who(room: self.room("#a"), after: "bob"), as: "/who #a bob")
        self.assertRenders(.msg(user: "bob", text: "lunch at noon?"), as: "/msg bob lunch at noon?")
        self.assertRenders(.passwd(old: "hunter2", new: "a much better pass phrase"), as: "/passwd hunter2 a much better pass phrase")
        self.assertRenders(
            .passwd(old: "correct horse battery staple", new: #" "quoted" \ back "#),
            as: #"/passwd "correct horse battery staple" " \"quoted\" \\ back ""#)
        self.assertRenders(.passwd(old: #""leading-quote"#, new: "x"), as: #"/passwd "\"leading-quote" "x""#)
        self.assertRenders(.ping(token: nil), as: "/ping")
        self.assertRenders(.ping(token: "sc-1 x"), as: "/ping sc-1 x")
        self.assertRenders(.pong(token: nil), as: "/pong")
        self.assertRenders(.pong(token: "19157yz37"), as: "/pong 19157yz37")
        self.assertRenders(.help, as: "/help")
        self.assertRenders(.quit(message: nil), as: "/quit")
        self.assertRenders(.quit(message: "see you tomorrow"), as: "/quit see you tomorrow")
        self.assertRenders(.setKey("UU0PBsK65RhlsdE4HSLL8FmPFZkqidi69W+YyeFJPic="), as: "/key set UU0PBsK65RhlsdE4HSLL8FmPFZkqidi69W+YyeFJPic=")
        self.assertRenders(.getKey(user: "ALICE"), as: "/key get ALICE")
        self.assertRenders(.encryptedMessage(user: "bob", payload: "M901JjUJk8k3"), as: "/emsg bob M901JjUJk8k3")
        self.assertRenders(.makePrivate(self.room("#Plans")), as: "/private #Plans")
        self.assertRenders(.makePublic(self.room("#Plans")), as: "/public #Plans")
        self.assertRenders(.invite(user: "bob", room: self.room("#plans")), as: "/invite bob #plans")
        self.assertRenders(.kick(user: "bob", room: self.room("#plans")), as: "/kick bob #plans")
        self.assertRenders(.showTopic(self.room("#plans")), as: "/topic #plans")
        self.assertRenders(.setTopic(room: self.room("#plans"), topic: " release\ton Friday"), as: "/topic #plans  release\ton Friday")
        self.assertRenders(.setTopic(room: self.room("#plans"), topic: nil), as: "/topic #plans -")
        self.assertRenders(.drop(self.room("#plans")), as: "/drop #plans")
    }

    /// Any two non-empty passwords survive the trip: spaces anywhere, quotes,
    /// backslashes, and text that looks like the quoted form itself.
    func testAnyPasswordPairRoundTrips() {
        let samples = [
            "p", " ", "  two  ", "a b", #"""#, #"\"#, #"\""#, #""a" "b""#, #"end\"#, "tab\tin", "ünï cödé", "\"", "x\"",
        ]
        for old in samples {
            for new in samples {
                let command = ClientCommand.passwd(old: old, new: new)
                XCTAssertEqual(ClientCommand.parse(command.rendered), .success(command), command.rendered)
            }
        }
    }

    func testAMessageStartingWithASlashIsEscaped() {
        self.assertRenders(.message("/shrug"), as: "//shrug")
        self.assertRenders(.message("//"), as: "///")
        self.assertRenders(.message(" /join #x"), as: " /join #x")
    }

    func testEmptyOptionalTextIsLeftOut() {
        XCTAssertEqual(ClientCommand.ping(token: "").rendered, "/ping")
        XCTAssertEqual(ClientCommand.quit(message: "").rendered, "/quit")
        // `after` needs a room before it; parsing never makes this command.
        XCTAssertEqual(ClientCommand.who(room: nil, after: "bob").rendered, "/who")
    }

    /// Whatever a line the parser accepts, the command renders to a line that
    /// parses to the same command (not always the same line: runs of spaces
    /// between names and the command word's case are not kept).
    func testParsedCommandsRenderToLinesThatParseTheSame() {
        let lines = [
            "/LOGIN  alice pw", "/join   #a", "/say #a   x", "/who  #a   bob ", "/rooms #b ", "/msg  bob  hi",
            "/passwd  old  new one", "/Ping  ", "/pong x", "/quit  bye ", "/KEY Set k", "/key GET bob", "/emsg  bob  p ",
            "//x", "plain", "/help", #"/passwd  "a b"   "c \" d" "#, #"/passwd "one" "t\\wo""#,
        ]
        for line in lines {
            guard case .success(let command) = ClientCommand.parse(line) else {
                XCTFail("\(line) did not parse")
                continue
            }
            XCTAssertEqual(ClientCommand.parse(command.rendered), .success(command), line)
        }
    }
}
