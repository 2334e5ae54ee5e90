import ChatProtocol

/// The start of every session: wait for `HELLO`, send `/login`, and get the name
/// the server confirms (its own spelling of it).
enum ClientLogin {
    static let timeout: Duration = .seconds(30)

    static func perform(
        connection: ChatConnection,
        events: inout AsyncStream<ClientEvent>.Iterator,
        continuation: AsyncStream<ClientEvent>.Continuation,
        user: String,
        password: String
    ) async throws(ClientFailure) -> String {
        let deadline = Task {
            try await Task.sleep(for: timeout)
            continuation.yield(.deadline("login"))
        }
        defer { deadline.cancel() }
        while let event = await events.next() {
            switch event {
            case .connection(.line(let text)):
                switch ServerEvent.parse(text) {
                case .hello?:
                    connection.send([ClientCommand.login(name: user, password: password).rendered])
                case .ok(let command, let name)? where ClientCommand.Kind(rawValue: command) == .login:
                    return name ?? user
                case .error(.authFailed, _)?:
                    throw ClientFailure("login failed: invalid name or password")
                case .error(let code, let text)?:
                    throw ClientFailure("login failed: \(TerminalSafeText.sanitize(code.rawValue)): \(TerminalSafeText.sanitize(text))")
                case .bye(let text)?:
                    throw ClientFailure("login failed: the server ended the session: \(TerminalSafeText.sanitize(text))")
                default:
                    continue
                }
            case .connection(.closed(let reason)):
                throw ClientFailure("the server closed the connection before login\(reason.map { ": \($0)" } ?? "")")
            case .deadline("login"):
                throw ClientFailure("login failed: no answer from the server within \(timeout)")
            default:
                continue
            }
        }
        throw ClientFailure("login failed: the connection ended")
    }
}
