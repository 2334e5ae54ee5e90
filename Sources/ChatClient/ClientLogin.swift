import ChatProtocol

/// The start of every session: wait for `HELLO`, send `/login`, and get the name
/// the server confirms (its own spelling of it) and the password that worked.
///
/// A wrong password is asked again when `askAgain` is given (interactive mode): the
/// server allows a few tries on one connection and closes after the last with
/// `ERR auth-failed` and `BYE` together, so the client waits a moment after each
/// refusal to see whether `BYE` follows before asking.
enum ClientLogin {
    static let timeout: Duration = .seconds(30)
    /// Long enough for a `BYE` written together with the `ERR` to arrive.
    static let settleAfterRefusal: Duration = .milliseconds(300)

    static func perform(
        connection: ChatConnection,
        events: inout AsyncStream<ClientEvent>.Iterator,
        continuation: AsyncStream<ClientEvent>.Continuation,
        user: String,
        password: String,
        askAgain: (() -> String?)? = nil
    ) async throws(ClientFailure) -> (name: String, password: String) {
        var password = password
        var attempt = 0
        var refused = false
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
        while let event = await events.next() {
            switch event {
            case .connection(.line(let text)):
                switch ServerEvent.parse(text) {
                case .hello?:
                    connection.send([ClientCommand.login(name: user, password: password).rendered])
                case .ok(let command, let name)? where ClientCommand.Kind(rawValue: command) == .login:
                    return (name ?? user, password)
                case .error(.authFailed, _)?:
                    guard askAgain != nil else { throw ClientFailure("login failed: invalid name or password") }
                    deadline.cancel()
                    refused = true
                    deadline = after(settleAfterRefusal, "ask-again-\(attempt)")
                case .error(let code, let text)?:
                    throw ClientFailure("login failed: \(TerminalSafeText.sanitize(code.rawValue)): \(TerminalSafeText.sanitize(text))")
                case .bye(let text)? where refused:
                    throw ClientFailure("login failed: invalid name or password, and no tries left (\(TerminalSafeText.sanitize(text)))")
                case .bye(let text)?:
                    throw ClientFailure("login failed: the server ended the session: \(TerminalSafeText.sanitize(text))")
                default:
                    continue
                }
            case .deadline(let name) where name == "ask-again-\(attempt)":
                ChatClientApp.writeError("invalid name or password; try again")
                guard let again = askAgain?(), !again.isEmpty else { throw ClientFailure("login cancelled") }
                password = again
                refused = false
                attempt += 1
                deadline = after(timeout, "login-\(attempt)")
                connection.send([ClientCommand.login(name: user, password: password).rendered])
            case .connection(.closed(let reason)):
                throw ClientFailure("the server closed the connection before login\(reason.map { ": \($0)" } ?? "")")
            case .deadline(let name) where name == "login-\(attempt)":
                throw ClientFailure("login failed: no answer from the server within \(timeout)")
            default:
                continue
            }
        }
        throw ClientFailure("login failed: the connection ended")
    }
}
