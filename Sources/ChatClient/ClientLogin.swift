import ChatProtocol

/// The start of every session: wait for `HELLO`, ask for stamps (`/cap req ids`,
/// sent with `/login` in one flush: the server allows it before login, so even the
/// DMs that waited for the account arrive stamped), send `/login`, and get the name
/// the server confirms (its own spelling of it), the password that worked, and
/// whether stamps are on (a server that does not know `/cap` answers it with an
/// `ERR`; the client then goes without catch-up).
///
/// A wrong password is asked again when `askAgain` is given (interactive mode): the
/// server allows a few tries on one connection and closes after the last with
/// `ERR auth-failed` and `BYE` together, so the client waits a moment after each
/// refusal to see whether `BYE` follows before asking.
///
/// `ERR busy` (the server's password-check queue is full) is tried again on the
/// same connection after a growing, jittered pause, saying so once through
/// `remark`; if the server is still busy after the last try, the login fails as
/// before.
///
/// Events that are not the connection's or the login's own deadlines (keys typed
/// while a reconnecting client logs in again) go to `other`; when it answers true
/// the login is abandoned (``ClientFailure/Kind/cancelled``). `arrivedEarly`: the
/// connection's events that came before the caller could start this.
enum ClientLogin {
    /// Pauses before the tries after a busy answer, before jitter: five tries in
    /// all, and at most 7.5 s × 1.25 of waiting.
    static let busyBackoff: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)]
    /// The jitter range: each pause is scaled by a factor drawn from it, so clients
    /// refused together do not come back together.
    static let busyJitter: ClosedRange<Double> = 0.75...1.25

    /// The pause before trying again after the `busyAnswers`-th `ERR busy`
    /// (counting from 1), scaled by `jitter`; nil when there are no tries left.
    static func busyRetryDelay(afterBusyAnswers busyAnswers: Int, jitter: Double) -> Duration? {
        guard busyAnswers >= 1, busyAnswers <= busyBackoff.count else { return nil }
        let factor = min(max(jitter, busyJitter.lowerBound), busyJitter.upperBound)
        return busyBackoff[busyAnswers - 1] * factor
    }

    /// The one line shown when the first `ERR busy` comes.
    static let busyNotice = "the server is busy checking passwords; trying again a few times with pauses"

    static let timeout: Duration = .seconds(30)

    struct LoggedIn {
        let name: String
        let password: String
        /// The server stamps stored events for this session (`OK cap req ids`).
        let stamps: Bool
    }
    /// Long enough for a `BYE` written together with the `ERR` to arrive.
    static let settleAfterRefusal: Duration = .milliseconds(300)

    static func perform(
        connection: ChatConnection,
        events: inout AsyncStream<ClientEvent>.Iterator,
        continuation: AsyncStream<ClientEvent>.Continuation,
        user: String,
        password: String,
        askAgain: (() -> String?)? = nil,
        remark: (String) -> Void = ChatClientApp.writeError,
        other: (ClientEvent) -> Bool = { _ in false },
        arrivedEarly: [ClientEvent] = []
    ) async throws(ClientFailure) -> LoggedIn {
        var password = password
        var capAnswered = false
        var stamps = false
        var attempt = 0
        var refused = false
        var busyAnswers = 0
        // Each attempt has its own deadline names, so a timer of an earlier attempt
        // that already fired (while a prompt was open) is not taken for this one's.
        func after(_ delay: Duration, _ name: String) -> Task<Void, any Error> {
            Task {
                try await Task.sleep(for: delay)
                continuation.yield(.deadline(name))
            }
        }
        var deadline = after(timeout, "login-0")
        defer { deadline.cancel() }
        // What the connection said before this started (its `HELLO`, when the
        // server was quicker than the reconnecting runner) comes first.
        var early = arrivedEarly[...]
        while true {
            let event: ClientEvent
            if let next = early.popFirst() {
                event = next
            } else if let next = await events.next() {
                event = next
            } else {
                break
            }
            switch event {
            case .connection(.line(let text)):
                switch ServerEvent.parse(text) {
                case .hello?:
                    connection.send([
                        ClientCommand.capRequest([Capability.ids.rawValue]).rendered, ClientCommand.login(name: user, password: password).rendered,
                    ])
                case .ok(let command, _)? where ClientCommand.Kind(rawValue: command) == .cap:
                    capAnswered = true
                    stamps = true
                case .error(let code, _)? where !capAnswered && code != .busy && code != .authFailed:
                    // The first answer is the `/cap`'s: a server without stamps.
                    capAnswered = true
                case .ok(let command, let name)? where ClientCommand.Kind(rawValue: command) == .login:
                    return LoggedIn(name: name ?? user, password: password, stamps: stamps)
                case .error(.authFailed, _)?:
                    guard askAgain != nil else { throw ClientFailure("login failed: invalid name or password") }
                    deadline.cancel()
                    refused = true
                    deadline = after(settleAfterRefusal, "ask-again-\(attempt)")
                case .error(.busy, let text)?:
                    busyAnswers += 1
                    guard let delay = busyRetryDelay(afterBusyAnswers: busyAnswers, jitter: .random(in: busyJitter)) else {
                        throw ClientFailure("login failed: busy: \(TerminalSafeText.sanitize(text))", kind: .transient)
                    }
                    if busyAnswers == 1 { remark(busyNotice) }
                    deadline.cancel()
                    deadline = after(delay, "busy-\(attempt)-\(busyAnswers)")
                case .error(let code, let text)?:
                    throw ClientFailure("login failed: \(TerminalSafeText.sanitize(code.rawValue)): \(TerminalSafeText.sanitize(text))")
                case .bye(let text)? where refused:
                    throw ClientFailure("login failed: invalid name or password, and no tries left (\(TerminalSafeText.sanitize(text)))")
                case .bye(let text)?:
                    // "server busy", "server shutting down": a restart under way.
                    throw ClientFailure("login failed: the server ended the session: \(TerminalSafeText.sanitize(text))", kind: .transient)
                default:
                    continue
                }
            case .deadline(let name) where name == "ask-again-\(attempt)":
                remark("invalid name or password; try again")
                guard let again = askAgain?(), !again.isEmpty else { throw ClientFailure("login cancelled") }
                password = again
                refused = false
                attempt += 1
                deadline = after(timeout, "login-\(attempt)")
                connection.send([ClientCommand.login(name: user, password: password).rendered])
            case .deadline(let name) where name == "busy-\(attempt)-\(busyAnswers)":
                deadline = after(timeout, "login-\(attempt)")
                connection.send([ClientCommand.login(name: user, password: password).rendered])
            case .connection(.closed(let reason)):
                throw ClientFailure("the server closed the connection before login\(reason.map { ": \($0)" } ?? "")", kind: .transient)
            case .deadline(let name) where name == "login-\(attempt)":
                throw ClientFailure("login failed: no answer from the server within \(timeout)", kind: .transient)
            case .deadline(let name) where name.hasPrefix("login-") || name.hasPrefix("ask-again-") || name.hasPrefix("busy-"):
                continue  // an earlier attempt's
            default:
                if other(event) { throw ClientFailure("login cancelled", kind: .cancelled) }
            }
        }
        throw ClientFailure("login failed: the connection ended")
    }
}
