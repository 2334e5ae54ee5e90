import ChatModel
import ChatProtocol
import ChatStore
import XCTest

@testable import ChatServer

/// The session state machine on its own: events in, actions out, no I/O.
final class SessionStateMachineTests: XCTestCase {
    private var logins: TestLogins!
    private var alice: VerifiedLogin { logins.alice }

    override func setUp() async throws {
        logins = try await TestLogins.make()
    }
    private let loginRequired = ServerEvent.error(.loginRequired, "log in first: /login <name> <password>")
    private let authFailed = ServerEvent.error(.authFailed, "invalid name or password")

    /// Commands that only a logged-in user may send, one of each.
    private let memberCommands: [ClientCommand] = [
        .message("hello"),
        .join(RoomName("#rust")!),
        .leave(RoomName("#lobby")!),
        .say(room: RoomName("#lobby")!, text: "hi all"),
        .rooms(after: nil),
        .who(room: nil, after: nil),
        .who(room: RoomName("#lobby")!, after: nil),
        .msg(user: "bob", text: "psst"),
        .setKey("bXkgcHVibGljIGtleQ=="),
        .getKey(user: "bob"),
        .encryptedMessage(user: "bob", payload: "c2VhbGVk"),
        .history(room: RoomName("#lobby")!, count: 50),
        .chatHistory(ChatHistoryQuery(.latest, target: .user("bob"))),
        .catchUp(after: 0, limit: 500),
    ]

    private func parsed(_ line: String) -> Result<ClientCommand, CommandParseError> {
        ClientCommand.parse(line)
    }

    /// A machine that has accepted alice's login.
    private func authenticated(maxLoginFailures: Int = 3) -> SessionStateMachine {
        var machine = SessionStateMachine(maxLoginFailures: maxLoginFailures)
        _ = machine.lineParsed(parsed("/login alice alice password"))
        _ = machine.loginVerified(alice)
        return machine
    }

    private func assertAwaitingLogin(
        _ machine: SessionStateMachine,
        failures expected: Int,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        guard case .awaitingLogin(let failures) = machine.state else {
            return XCTFail("state is \(machine.state)", file: file, line: line)
        }
        XCTAssertEqual(failures, expected, file: file, line: line)
        XCTAssertFalse(machine.isAuthenticated, file: file, line: line)
    }

    private func assertVerifying(
        _ machine: SessionStateMachine,
        failures expected: Int,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        guard case .verifying(let failures) = machine.state else {
            return XCTFail("state is \(machine.state)", file: file, line: line)
        }
        XCTAssertEqual(failures, expected, file: file, line: line)
    }

    private func assertClosed(_ machine: SessionStateMachine, file: StaticString = #filePath, line: UInt = #line) {
        guard case .closed = machine.state else {
            return XCTFail("state is \(machine.state)", file: file, line: line)
        }
    }

    // MARK: Before login

    func testStartsAwaitingLoginWithNoFailures() {
        assertAwaitingLogin(SessionStateMachine(maxLoginFailures: 3), failures: 0)
    }

    func testPingBeforeLoginAnswersPong() {
        var machine = SessionStateMachine(maxLoginFailures: 3)
        XCTAssertEqual(machine.lineParsed(.success(.ping(token: "t-1"))), .reply([.pong("t-1")]))
        XCTAssertEqual(machine.lineParsed(.success(.ping(token: nil))), .reply([.pong(nil)]))
        assertAwaitingLogin(machine, failures: 0)
    }

    func testPongIsNeverAnswered() {
        var waiting = SessionStateMachine(maxLoginFailures: 3)
        XCTAssertEqual(waiting.lineParsed(.success(.pong(token: "t-1"))), SessionStateMachine.Action.none)
        assertAwaitingLogin(waiting, failures: 0)

        var loggedIn = authenticated()
        XCTAssertEqual(loggedIn.lineParsed(.success(.pong(token: nil))), SessionStateMachine.Action.none)
        XCTAssertTrue(loggedIn.isAuthenticated)
    }

    func testHelpBeforeLoginAnswersTheHelpText() {
        var machine = SessionStateMachine(maxLoginFailures: 3)
        let action = machine.lineParsed(.success(.help))
        XCTAssertEqual(action, .reply(HelpText.lines.map(ServerEvent.info)))
        XCTAssertFalse(HelpText.lines.isEmpty)
        assertAwaitingLogin(machine, failures: 0)
    }

    func testQuitBeforeLoginSaysGoodbyeAndCloses() {
        var withMessage = SessionStateMachine(maxLoginFailures: 3)
        XCTAssertEqual(withMessage.lineParsed(.success(.quit(message: "see you"))), .farewell([.bye("see you")]))
        assertClosed(withMessage)

        var plain = SessionStateMachine(maxLoginFailures: 3)
        XCTAssertEqual(plain.lineParsed(.success(.quit(message: nil))), .farewell([.bye("goodbye")]))
        assertClosed(plain)
    }

    func testMemberCommandsBeforeLoginAreRefused() {
        var machine = SessionStateMachine(maxLoginFailures: 3)
        for command in memberCommands {
            XCTAssertEqual(machine.lineParsed(.success(command)), .reply([loginRequired]), "\(command)")
        }
        assertAwaitingLogin(machine, failures: 0)
    }

    func testBadArgumentsToOpenCommandsBeforeLoginShowTheUsage() {
        var machine = SessionStateMachine(maxLoginFailures: 3)
        XCTAssertEqual(
            machine.lineParsed(parsed("/login alice")),
            .reply([.error(.badArguments, "usage: /login <name> <password>")])
        )
        XCTAssertEqual(
            machine.lineParsed(parsed("/login")),
            .reply([.error(.badArguments, "usage: /login <name> <password>")])
        )
        XCTAssertEqual(machine.lineParsed(parsed("/help me")), .reply([.error(.badArguments, "usage: /help")]))
        assertAwaitingLogin(machine, failures: 0)
    }

    func testOtherParseFailuresBeforeLoginOnlySayLoginRequired() {
        var machine = SessionStateMachine(maxLoginFailures: 3)
        // Before login nobody learns which commands exist or what their rules are.
        for line in ["/frobnicate", "/join", "/join lobby", "/say #lobby", "/msg bob", "/who #bad!name"] {
            let result = parsed(line)
            guard case .failure = result else {
                XCTFail("\(line) parsed as \(result)")
                continue
            }
            XCTAssertEqual(machine.lineParsed(result), .reply([loginRequired]), line)
        }
        assertAwaitingLogin(machine, failures: 0)
    }

    // MARK: Logging in

    func testLoginAsksForVerificationAndWaits() {
        var machine = SessionStateMachine(maxLoginFailures: 3)
        XCTAssertEqual(
            machine.lineParsed(.success(.login(name: "alice", password: "alice password"))),
            .verifyLogin(name: "alice", password: "alice password")
        )
        assertVerifying(machine, failures: 0)
        XCTAssertFalse(machine.isAuthenticated)
    }

    func testVerifyingStateAnswersBusyToAnyLine() {
        var machine = SessionStateMachine(maxLoginFailures: 3)
        _ = machine.lineParsed(parsed("/login alice alice password"))
        let busy = SessionStateMachine.Action.reply([.error(.busy, "a login is in progress")])
        XCTAssertEqual(machine.lineParsed(.success(.ping(token: nil))), busy)
        XCTAssertEqual(machine.lineParsed(.success(.login(name: "bob", password: "x"))), busy)
        XCTAssertEqual(machine.lineParsed(.success(.quit(message: nil))), busy)
        XCTAssertEqual(machine.lineParsed(parsed("/frobnicate")), busy)
        assertVerifying(machine, failures: 0)
    }

    func testVerifiedLoginEntersTheHub() {
        var machine = SessionStateMachine(maxLoginFailures: 3)
        _ = machine.lineParsed(parsed("/login alice alice password"))
        XCTAssertEqual(machine.loginVerified(alice), .enterHub(alice))
        XCTAssertTrue(machine.isAuthenticated)
        guard case .authenticated(let session) = machine.state else {
            return XCTFail("state is \(machine.state)")
        }
        XCTAssertEqual(session.login, alice)
    }

    func testRejectedLoginsAreCountedAndTheLastOneSaysGoodbye() {
        var machine = SessionStateMachine(maxLoginFailures: 3)
        for failures in 1...2 {
            _ = machine.lineParsed(parsed("/login alice wrong"))
            XCTAssertEqual(machine.loginRejected(), .reply([authFailed]))
            assertAwaitingLogin(machine, failures: failures)
        }
        _ = machine.lineParsed(parsed("/login alice wrong"))
        assertVerifying(machine, failures: 2)
        XCTAssertEqual(machine.loginRejected(), .farewell([authFailed, .bye("too many failed logins")]))
        assertClosed(machine)
    }

    func testASingleAllowedFailureClosesOnTheFirstRejection() {
        var machine = SessionStateMachine(maxLoginFailures: 1)
        _ = machine.lineParsed(parsed("/login alice wrong"))
        XCTAssertEqual(machine.loginRejected(), .farewell([authFailed, .bye("too many failed logins")]))
        assertClosed(machine)
    }

    func testBusyIsNotCountedAsAFailure() {
        var machine = SessionStateMachine(maxLoginFailures: 2)
        for _ in 1...5 {
            _ = machine.lineParsed(parsed("/login alice alice password"))
            XCTAssertEqual(machine.loginBusy(), .reply([.error(.busy, "server busy, try again shortly")]))
            assertAwaitingLogin(machine, failures: 0)
        }
        _ = machine.lineParsed(parsed("/login alice wrong"))
        XCTAssertEqual(machine.loginRejected(), .reply([authFailed]))
        // Busy after a failure keeps that failure, neither adding nor forgiving one.
        _ = machine.lineParsed(parsed("/login alice wrong"))
        _ = machine.loginBusy()
        assertAwaitingLogin(machine, failures: 1)
        _ = machine.lineParsed(parsed("/login alice wrong"))
        XCTAssertEqual(machine.loginRejected(), .farewell([authFailed, .bye("too many failed logins")]))
    }

    func testLoginOutcomesOutsideVerifyingAreIgnored() {
        var waiting = SessionStateMachine(maxLoginFailures: 3)
        XCTAssertEqual(waiting.loginVerified(alice), SessionStateMachine.Action.none)
        XCTAssertEqual(waiting.loginRejected(), SessionStateMachine.Action.none)
        XCTAssertEqual(waiting.loginBusy(), SessionStateMachine.Action.none)
        assertAwaitingLogin(waiting, failures: 0)

        var loggedIn = authenticated()
        let bob = logins.bob
        XCTAssertEqual(loggedIn.loginVerified(bob), SessionStateMachine.Action.none)
        XCTAssertEqual(loggedIn.loginRejected(), SessionStateMachine.Action.none)
        XCTAssertEqual(loggedIn.loginBusy(), SessionStateMachine.Action.none)
        guard case .authenticated(let session) = loggedIn.state else {
            return XCTFail("state is \(loggedIn.state)")
        }
        XCTAssertEqual(session.login, alice)
    }

    // MARK: Logged in

    func testMemberCommandsAreHandedToTheHubWithTheLogin() {
        var machine = authenticated()
        for command in memberCommands {
            XCTAssertEqual(machine.lineParsed(.success(command)), .perform(command, alice), "\(command)")
        }
        XCTAssertTrue(machine.isAuthenticated)
    }

    func testPasswdIsAPasswordChangeForTheLogin() {
        var machine = authenticated()
        XCTAssertEqual(
            machine.lineParsed(.success(.passwd(old: "old", new: "new password"))),
            .changePassword(alice, old: "old", new: "new password")
        )
    }

    func testWrongCurrentPasswordsCountAndTheLastOneSaysGoodbye() {
        var machine = authenticated()
        let wrong = ServerEvent.error(.authFailed, "current password is wrong")
        XCTAssertEqual(machine.passwordRejected(), .reply([wrong]))
        XCTAssertEqual(machine.passwordRejected(), .reply([wrong]))
        XCTAssertTrue(machine.isAuthenticated)
        XCTAssertEqual(machine.passwordRejected(), .farewell([wrong, .bye("too many failed password checks")]))
        assertClosed(machine)
    }

    func testOwnPasswordChangeKeepsTheSessionUnderTheNewGeneration() {
        var machine = authenticated()
        let renewed = logins.aliceRenewed
        XCTAssertEqual(machine.passwordChanged(renewed), .reply([.ok(command: "passwd", details: nil)]))
        XCTAssertEqual(machine.credentialsChanged(.active(generation: 2)), SessionStateMachine.Action.none)
        XCTAssertEqual(machine.lineParsed(.success(.rooms(after: nil))), .perform(.rooms(after: nil), renewed))
        XCTAssertEqual(machine.credentialsChanged(.active(generation: 3)), .farewell([.bye("password changed")]))
        assertClosed(machine)
    }

    func testARaiseSeenWhileOwnPasswordChangeRunsWaitsForItsResult() {
        var machine = authenticated()
        _ = machine.lineParsed(.success(.passwd(old: "old", new: "new")))
        XCTAssertEqual(machine.credentialsChanged(.active(generation: 2)), SessionStateMachine.Action.none, "held")
        let renewed = logins.aliceRenewed
        XCTAssertEqual(machine.passwordChanged(renewed), .reply([.ok(command: "passwd", details: nil)]), "it was our own")
        XCTAssertTrue(machine.isAuthenticated)

        var overtaken = authenticated()
        _ = overtaken.lineParsed(.success(.passwd(old: "wrong", new: "new")))
        XCTAssertEqual(overtaken.credentialsChanged(.active(generation: 2)), SessionStateMachine.Action.none)
        XCTAssertEqual(
            overtaken.passwordRejected(),
            .farewell([.error(.authFailed, "current password is wrong"), .bye("password changed")]),
            "someone else changed it"
        )
        assertClosed(overtaken)

        var locked = authenticated()
        _ = locked.lineParsed(.success(.passwd(old: "old", new: "new")))
        XCTAssertEqual(locked.credentialsChanged(.locked(generation: 2)), .farewell([.bye("account disabled")]), "a lock is never ours")

        var stale = authenticated()
        _ = stale.lineParsed(.success(.passwd(old: "old", new: "new")))
        XCTAssertEqual(stale.passwordChangeRefused(.deleted), .farewell([.bye("account deleted")]))
    }

    func testChangedCredentialsEndTheSessionWithTheReason() {
        let cases: [(AccountStatus, String)] = [
            (.locked(generation: 2), "account disabled"),
            (.deleted, "account deleted"),
            (.active(generation: 2), "password changed"),
        ]
        for (status, reason) in cases {
            var machine = authenticated()
            XCTAssertEqual(machine.credentialsChanged(.active(generation: 1)), SessionStateMachine.Action.none, "current")
            XCTAssertEqual(machine.credentialsChanged(status), .farewell([.bye(reason)]), "\(status)")
            assertClosed(machine)
            XCTAssertEqual(machine.credentialsChanged(status), SessionStateMachine.Action.none, "said once")
        }
        var waiting = SessionStateMachine(maxLoginFailures: 3)
        XCTAssertEqual(waiting.credentialsChanged(.deleted), SessionStateMachine.Action.none, "not logged in")
    }

    func testLoginFinishingAfterTheConnectionClosedDoesNothing() {
        var machine = SessionStateMachine(maxLoginFailures: 3)
        _ = machine.lineParsed(parsed("/login alice alice password"))
        machine.connectionClosed()
        XCTAssertEqual(machine.loginVerified(alice), SessionStateMachine.Action.none)
        XCTAssertFalse(machine.isAuthenticated)
        assertClosed(machine)
    }

    func testOpenCommandsStillWorkWhenLoggedIn() {
        var machine = authenticated()
        XCTAssertEqual(machine.lineParsed(.success(.ping(token: "x"))), .reply([.pong("x")]))
        XCTAssertEqual(machine.lineParsed(.success(.help)), .reply(HelpText.lines.map(ServerEvent.info)))
        XCTAssertTrue(machine.isAuthenticated)
    }

    func testLoginWhenLoggedInIsBadArguments() {
        var machine = authenticated()
        XCTAssertEqual(
            machine.lineParsed(.success(.login(name: "bob", password: "bob-pw"))),
            .reply([.error(.badArguments, "already logged in as alice")])
        )
        XCTAssertTrue(machine.isAuthenticated)
    }

    func testParseFailuresWhenLoggedInNameTheProblem() {
        var machine = authenticated()
        XCTAssertEqual(
            machine.lineParsed(.failure(.unknownCommand("/Frobnicate"))),
            .reply([.error(.unknownCommand, "/Frobnicate is not a command; try /help")])
        )
        XCTAssertEqual(
            machine.lineParsed(parsed("/join")),
            .reply([.error(.badArguments, "usage: /join <room>")])
        )
        XCTAssertEqual(
            machine.lineParsed(parsed("/join lobby")),
            .reply([.error(.badRoomName, "room names are # and 1-32 of A-Z a-z 0-9 _ -")])
        )
        XCTAssertTrue(machine.isAuthenticated)
    }

    func testQuitWhenLoggedInSaysGoodbyeWithTheMessage() {
        var withMessage = authenticated()
        XCTAssertEqual(withMessage.lineParsed(.success(.quit(message: "off to lunch"))), .farewell([.bye("off to lunch")]))
        assertClosed(withMessage)

        var plain = authenticated()
        XCTAssertEqual(plain.lineParsed(parsed("/quit")), .farewell([.bye("goodbye")]))
        assertClosed(plain)
    }

    // MARK: Closing

    func testCloseRequestedSaysTheFarewellOnce() {
        var machine = authenticated()
        XCTAssertEqual(machine.closeRequested(farewell: "server shutting down"), .farewell([.bye("server shutting down")]))
        assertClosed(machine)
        XCTAssertEqual(machine.closeRequested(farewell: "again"), SessionStateMachine.Action.none)

        var silent = SessionStateMachine(maxLoginFailures: 3)
        XCTAssertEqual(silent.closeRequested(farewell: nil), .farewell([]))
        assertClosed(silent)
    }

    func testLoginGraceExpiringBeforeLoginSaysGoodbye() {
        var waiting = SessionStateMachine(maxLoginFailures: 3)
        XCTAssertEqual(waiting.loginGraceExpired(), .farewell([.bye("login timeout")]))
        assertClosed(waiting)

        var verifying = SessionStateMachine(maxLoginFailures: 3)
        _ = verifying.lineParsed(parsed("/login alice alice password"))
        XCTAssertEqual(verifying.loginGraceExpired(), .farewell([.bye("login timeout")]))
        XCTAssertEqual(verifying.loginVerified(alice), SessionStateMachine.Action.none)
        assertClosed(verifying)

        var loggedIn = authenticated()
        XCTAssertEqual(loggedIn.loginGraceExpired(), SessionStateMachine.Action.none)
        XCTAssertTrue(loggedIn.isAuthenticated)
    }

    func testPasswordCheckFinishingAfterCloseDoesNotLogIn() {
        var machine = SessionStateMachine(maxLoginFailures: 3)
        _ = machine.lineParsed(parsed("/login alice alice password"))
        XCTAssertEqual(machine.closeRequested(farewell: nil), .farewell([]))
        XCTAssertEqual(machine.loginVerified(alice), SessionStateMachine.Action.none)
        XCTAssertFalse(machine.isAuthenticated)
        assertClosed(machine)
    }

    func testEventsAfterCloseDoNothing() {
        var machine = authenticated()
        _ = machine.lineParsed(.success(.quit(message: nil)))
        let lines: [Result<ClientCommand, CommandParseError>] = [
            .success(.ping(token: nil)),
            .success(.help),
            .success(.login(name: "alice", password: "alice password")),
            .success(.quit(message: nil)),
            .success(.message("hello?")),
            .failure(.unknownCommand("/x")),
        ]
        for line in lines {
            XCTAssertEqual(machine.lineParsed(line), SessionStateMachine.Action.none, "\(line)")
        }
        XCTAssertEqual(machine.loginVerified(alice), SessionStateMachine.Action.none)
        XCTAssertEqual(machine.loginRejected(), SessionStateMachine.Action.none)
        XCTAssertEqual(machine.loginBusy(), SessionStateMachine.Action.none)
        XCTAssertEqual(machine.loginGraceExpired(), SessionStateMachine.Action.none)
        XCTAssertEqual(machine.closeRequested(farewell: "bye"), SessionStateMachine.Action.none)
        assertClosed(machine)
    }

    // MARK: Capabilities

    func testCapabilitiesAreNegotiatedBeforeAndAfterLoginAllOrNothing() {
        var before = SessionStateMachine(maxLoginFailures: 3)
        checkNegotiation(&before)
        assertAwaitingLogin(before, failures: 0)
        var after = authenticated()
        checkNegotiation(&after)
        XCTAssertTrue(after.isAuthenticated)
    }

    private func checkNegotiation(_ machine: inout SessionStateMachine, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(machine.lineParsed(parsed("/cap ls")), .reply([.ok(command: "cap", details: "ls ids")]), file: file, line: line)
        XCTAssertEqual(
            machine.lineParsed(parsed("/cap req IDS")), .negotiate([.ids: true], reply: .ok(command: "cap", details: "req ids")),
            file: file, line: line)
        XCTAssertEqual(
            machine.lineParsed(parsed("/cap req ids -ids")), .negotiate([.ids: false], reply: .ok(command: "cap", details: "req ids -ids")),
            "the last word for a capability wins", file: file, line: line)
        XCTAssertEqual(
            machine.lineParsed(parsed("/cap req ids sasl")), .reply([.error(.badArguments, "unknown capability sasl")]), "all or nothing",
            file: file, line: line)
        XCTAssertEqual(
            machine.lineParsed(parsed("/cap req")), .reply([.error(.badArguments, "usage: /cap ls | /cap req <capability>...")]),
            file: file, line: line)
    }
}
