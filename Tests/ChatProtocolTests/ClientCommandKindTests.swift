import ChatModel
import ChatProtocol
import XCTest

final class ClientCommandKindTests: XCTestCase {
    func testEveryKindIsACommandWordWhateverItsArguments() {
        for kind in ClientCommand.Kind.allCases {
            for line in ["/\(kind.rawValue)", "/\(kind.rawValue.uppercased()) a b c", "/\(kind.rawValue) #a b"] {
                switch ClientCommand.parse(line) {
                case .success(let command):
                    XCTAssertEqual(command.kind, kind, line)
                case .failure(.badArguments(let command, let usage)):
                    XCTAssertEqual(command, kind, line)
                    XCTAssertTrue(usage.hasPrefix("/\(kind.rawValue)"), usage)
                case .failure(.badRoomName):
                    XCTAssertTrue([.join, .leave, .say, .rooms, .who, .invite, .kick, .topic].contains(kind), line)
                case .failure(.unknownCommand):
                    XCTFail("\(line) is not a command")
                }
            }
        }
    }

    func testOnlyTheProtocolsOpenCommandsAreAllowedBeforeLogin() {
        // PROTOCOL.md, "Commands": the "allowed before login" column.
        let open = ClientCommand.Kind.allCases.filter(\.isAllowedBeforeLogin)
        XCTAssertEqual(Set(open), [.login, .cap, .ping, .pong, .help, .quit])
    }

    func testBothKeyCommandsAreKeyAndPlainTextHasNoKind() {
        XCTAssertEqual(ClientCommand.setKey("x").kind, .key)
        XCTAssertEqual(ClientCommand.getKey(user: "bob").kind, .key)
        XCTAssertEqual(ClientCommand.encryptedMessage(user: "bob", payload: "x").kind, .emsg)
        XCTAssertNil(ClientCommand.message("/not a command").kind)
        let room = RoomName("#plans")!
        XCTAssertEqual(ClientCommand.showTopic(room).kind, .topic)
        XCTAssertEqual(ClientCommand.setTopic(room: room, topic: nil).kind, .topic)
        XCTAssertEqual(ClientCommand.makePrivate(room).kind.map(\.rawValue), "private")
        XCTAssertEqual(ClientCommand.makePublic(room).kind.map(\.rawValue), "public")
    }

    func testHelpListsEveryKind() {
        for kind in ClientCommand.Kind.allCases {
            XCTAssertTrue(HelpText.lines.contains { $0.hasPrefix("/\(kind.rawValue) ") }, "\(kind) is missing from /help")
        }
    }
}
