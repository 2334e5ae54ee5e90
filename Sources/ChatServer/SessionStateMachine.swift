import ChatModel
import ChatProtocol
import ChatStore

/// What a connection may do, and when. Pure: it decides, `SessionHandler` acts.
///
/// `awaitingLogin` → (`/login`) → `verifying` → `authenticated` or back to
/// `awaitingLogin`; any state → `closed`. The authenticated state can only be built
/// from a `VerifiedLogin`, which only a successful password check produces.
struct SessionStateMachine {
    enum State {
        case awaitingLogin(failures: Int)
        case verifying(failures: Int)
        case authenticated(Authenticated)
        case closed
    }

    /// A logged-in session.
    struct Authenticated {
        var login: VerifiedLogin
        /// Wrong current passwords given to `/passwd`, which count against the same
        /// cap as failed logins.
        var passwordFailures = 0
        /// This session's own `/passwd` is running. A generation raise seen meanwhile
        /// may be its own, so it is judged once the change completes.
        var changingPassword = false
        var heldChange: AccountStatus?
    }

    enum Action: Equatable {
        /// Send these lines.
        case reply([ServerEvent])
        /// Check this password (asynchronously); report back with `loginVerified`,
        /// `loginRejected` or `loginBusy`.
        case verifyLogin(name: String, password: String)
        /// Enter the hub as this user and confirm the login.
        case enterHub(VerifiedLogin)
        /// A command for the hub on behalf of a logged-in user.
        case perform(ClientCommand, VerifiedLogin)
        /// Check the current password and set a new one for this login (asynchronously);
        /// report back with `passwordChanged`, `passwordRejected` or `credentialsChanged`.
        case changePassword(VerifiedLogin, old: String, new: String)
        /// Turn these capabilities on (true) or off for the session, then send `reply`.
        case negotiate([Capability: Bool], reply: ServerEvent)
        /// Send these lines, then close the connection.
        case farewell([ServerEvent])
        /// Nothing to do.
        case none
    }

    private(set) var state: State = .awaitingLogin(failures: 0)
    let maxLoginFailures: Int

    init(maxLoginFailures: Int) {
        self.maxLoginFailures = maxLoginFailures
    }

    var isAuthenticated: Bool {
        if case .authenticated = state { return true }
        return false
    }

    /// Closing or closed: the session handles no more lines.
    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    // MARK: Events

    /// A line from the peer: a command to parse, or bytes the decoder refused.
    mutating func lineReceived(_ line: InboundLine) -> Action {
        switch line {
        case .badEncoding:
            return isClosed ? .none : .reply([.error(.badEncoding, "lines must be UTF-8 without control characters")])
        case .text(let text):
            return lineParsed(ClientCommand.parse(text))
        }
    }

    mutating func lineParsed(_ result: Result<ClientCommand, CommandParseError>) -> Action {
        switch (state, result) {
        case (.closed, _):
            return .none
        case (.verifying, _):
            // The handler holds input while a password check runs; reaching this is a
            // handler bug, answered rather than trapped.
            return .reply([.error(.busy, "a login is in progress")])

        case (.awaitingLogin(let failures), .success(let command)):
            switch command {
            case .login(let name, let password):
                state = .verifying(failures: failures)
                return .verifyLogin(name: name, password: password)
            case .ping(let token):
                return .reply([.pong(token)])
            case .pong:
                // Its arrival already counted as activity; nothing to answer.
                return .none
            case .help:
                return .reply(HelpText.lines.map(ServerEvent.info))
            case .quit(let message):
                return quit(message)
            case .capList, .capRequest:
                return Self.negotiate(command)
            case .message, .join, .leave, .say, .rooms, .who, .history, .chatHistory, .catchUp, .msg, .passwd, .setKey, .getKey,
                .encryptedMessage,
                .makePrivate, .makePublic, .invite, .kick, .showTopic, .setTopic, .drop:
                return .reply([.error(.loginRequired, "log in first: /login <name> <password>")])
            }
        case (.awaitingLogin, .failure(let error)):
            // Before login, only the open commands may learn why they failed.
            if case .badArguments(let command, let usage) = error, command.isAllowedBeforeLogin {
                return .reply([.error(.badArguments, "usage: \(usage)")])
            }
            return .reply([.error(.loginRequired, "log in first: /login <name> <password>")])

        case (.authenticated(var session), .success(let command)):
            let login = session.login
            switch command {
            case .login:
                return .reply([.error(.badArguments, "already logged in as \(login.user)")])
            case .ping(let token):
                return .reply([.pong(token)])
            case .pong:
                // Its arrival already counted as activity; nothing to answer.
                return .none
            case .help:
                return .reply(HelpText.lines.map(ServerEvent.info))
            case .quit(let message):
                return quit(message)
            case .passwd(let old, let new):
                session.changingPassword = true
                state = .authenticated(session)
                return .changePassword(login, old: old, new: new)
            case .capList, .capRequest:
                return Self.negotiate(command)
            case .message, .join, .leave, .say, .rooms, .who, .history, .chatHistory, .catchUp, .msg, .setKey, .getKey, .encryptedMessage,
                .makePrivate, .makePublic, .invite, .kick, .showTopic, .setTopic, .drop:
                return .perform(command, login)
            }
        case (.authenticated, .failure(let error)):
            return .reply([Self.event(for: error)])
        }
    }

    mutating func loginVerified(_ login: VerifiedLogin) -> Action {
        guard case .verifying = state else { return .none }
        state = .authenticated(Authenticated(login: login))
        return .enterHub(login)
    }

    /// The session's own `/passwd` succeeded: it goes on under the new credentials.
    mutating func passwordChanged(_ login: VerifiedLogin) -> Action {
        guard case .authenticated(var session) = state, session.login.credential.account == login.credential.account else {
            return .none
        }
        session.login = login
        return passwordChangeEnded(session, [.ok(command: "passwd", details: nil)])
    }

    /// `/passwd` was given a wrong current password. Counted like a failed login: a
    /// session that keeps guessing is ended, so it cannot serve as a password oracle.
    mutating func passwordRejected() -> Action {
        guard case .authenticated(var session) = state else { return .none }
        session.passwordFailures += 1
        let rejection = ServerEvent.error(.authFailed, "current password is wrong")
        if session.passwordFailures >= maxLoginFailures {
            state = .closed
            return .farewell([rejection, .bye("too many failed password checks")])
        }
        return passwordChangeEnded(session, [rejection])
    }

    /// `/passwd` could not be carried out now (busy, a store failure): nothing changed.
    mutating func passwordChangeFailed(_ reply: ServerEvent) -> Action {
        guard case .authenticated(let session) = state else { return .none }
        return passwordChangeEnded(session, [reply])
    }

    /// `/passwd` found the session's credentials stale: nothing changed, and the
    /// session ends.
    mutating func passwordChangeRefused(_ status: AccountStatus) -> Action {
        guard case .authenticated(var session) = state else { return .none }
        session.changingPassword = false
        state = .authenticated(session)
        return credentialsChanged(status)
    }

    private mutating func passwordChangeEnded(_ session: Authenticated, _ replies: [ServerEvent]) -> Action {
        var session = session
        session.changingPassword = false
        let held = session.heldChange
        session.heldChange = nil
        state = .authenticated(session)
        guard let held, case .farewell(let farewell) = credentialsChanged(held) else { return .reply(replies) }
        return .farewell(replies + farewell)
    }

    /// The account was locked, deleted, re-created or given a new password
    /// (`status` is how it is now). A session whose credentials are no longer current
    /// ends with a plain `BYE` saying why.
    mutating func credentialsChanged(_ status: AccountStatus) -> Action {
        guard case .authenticated(var session) = state, !status.admits(session.login.credential) else { return .none }
        if session.changingPassword, case .active = status {
            // Perhaps this session's own change, whose result has not arrived yet.
            session.heldChange = status
            state = .authenticated(session)
            return .none
        }
        state = .closed
        let reason =
            switch status {
            case .deleted: "account deleted"
            case .locked: "account disabled"
            case .active: "password changed"
            }
        return .farewell([.bye(reason)])
    }

    /// The connection is gone. Whatever completes later (a password check, a
    /// look-up) finds the session closed and does nothing: a login that finishes after
    /// its connection reset must not leave a session without a socket.
    mutating func connectionClosed() {
        state = .closed
    }

    mutating func loginRejected() -> Action {
        guard case .verifying(let previousFailures) = state else { return .none }
        let failures = previousFailures + 1
        // The same words whatever went wrong: no account, locked, or wrong password.
        let rejection = ServerEvent.error(.authFailed, "invalid name or password")
        if failures >= maxLoginFailures {
            state = .closed
            return .farewell([rejection, .bye("too many failed logins")])
        }
        state = .awaitingLogin(failures: failures)
        return .reply([rejection])
    }

    mutating func loginBusy() -> Action {
        guard case .verifying(let failures) = state else { return .none }
        state = .awaitingLogin(failures: failures)
        return .reply([.error(.busy, "server busy, try again shortly")])
    }

    /// The login grace period ran out before a successful login.
    mutating func loginGraceExpired() -> Action {
        switch state {
        case .awaitingLogin, .verifying:
            state = .closed
            return .farewell([.bye("login timeout")])
        case .authenticated, .closed:
            return .none
        }
    }

    /// A time limit fell due (see `SessionDeadlines`).
    mutating func deadlineDue(_ due: SessionDeadlines.Due) -> Action {
        switch due {
        case .none: .none
        case .loginGraceExpired: loginGraceExpired()
        case .pingUnanswered: closeRequested(farewell: "ping timeout")
        case .ping(let token): isClosed ? .none : .reply([.ping(token)])
        }
    }

    /// The server is shutting down or the connection failed.
    mutating func closeRequested(farewell: String?) -> Action {
        if case .closed = state { return .none }
        state = .closed
        return .farewell(farewell.map { [.bye($0)] } ?? [])
    }

    // MARK: Helpers

    private mutating func quit(_ message: String?) -> Action {
        state = .closed
        return .farewell([.bye(message ?? "goodbye")])
    }

    /// `/cap ls` and `/cap req`, the same before and after login.
    private static func negotiate(_ command: ClientCommand) -> Action {
        switch command {
        case .capRequest(let words):
            switch CapabilityNegotiation.request(words) {
            case .success(let request): return .negotiate(request.changes, reply: request.reply)
            case .failure(let refusal): return .reply([refusal.reply])
            }
        default:
            return .reply([CapabilityNegotiation.listReply])
        }
    }

    static func event(for error: CommandParseError) -> ServerEvent {
        switch error {
        case .unknownCommand(let word):
            return .error(.unknownCommand, "\(word) is not a command; try /help")
        case .badArguments(_, let usage):
            return .error(.badArguments, "usage: \(usage)")
        case .badRoomName:
            return .error(.badRoomName, "room names are # and 1-32 of A-Z a-z 0-9 _ -")
        }
    }
}
