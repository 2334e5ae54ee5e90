/// After the connection dropped: wait (``ReconnectBackoff``), connect, check the
/// certificate as at the start, and log in again with the password held in memory
/// for this, until it works, until a refusal that trying again cannot mend (the
/// certificate or the password), or until the person leaves.
///
/// Everything else that happens meanwhile (keys typed, script lines, signals) goes
/// to the runner through `other`, which answers true to give up.
final class Reconnector {
    enum Outcome {
        case reconnected(ChatConnection, stamps: Bool, pinnedNow: String?)
        /// Why trying again is pointless: say it and exit.
        case stopped(String)
        case cancelled
    }

    /// What to show on the one status line.
    enum Status: Equatable {
        /// The next try in `seconds`; `failure`: why the last one failed.
        case waiting(seconds: Int, failure: String?)
        case connecting
    }

    /// The `BYE` texts after which logging in again would fail or be wrong: the
    /// account was deleted or disabled, or its password changed (perhaps by someone
    /// who took it over). The server's wording (`SessionStateMachine`).
    static let finalFarewells = ["account deleted", "account disabled", "password changed"]

    static func endsForGood(_ farewell: String) -> Bool {
        finalFarewells.contains(farewell.lowercased())
    }

    let link: ServerLink
    let user: String
    /// The password that logged in, or the one `/passwd` set since; in memory only.
    var password: String
    private var backoff = ReconnectBackoff()
    private var attempt = 0

    init(link: ServerLink, user: String, password: String) {
        self.link = link
        self.user = user
        self.password = password
    }

    func run(
        events: inout AsyncStream<ClientEvent>.Iterator,
        status: (Status) -> Void,
        other: (ClientEvent) -> Bool
    ) async -> Outcome {
        link.retire()
        var failure: String?
        while true {
            attempt += 1
            var remaining = backoff.nextDelay()
            // A countdown in whole seconds: one tick each time the number shown drops.
            while remaining > .zero {
                let seconds = Int((remaining / .seconds(1)).rounded(.up))
                status(.waiting(seconds: seconds, failure: failure))
                let step = remaining - .seconds(seconds - 1)
                let name = "reconnect-\(attempt)-\(seconds)"
                let timer = link.deadline(name, after: step)
                guard await wait(for: name, events: &events, other: other) else {
                    timer.cancel()
                    return .cancelled
                }
                remaining -= step
            }
            status(.connecting)
            link.startConnecting(attempt: attempt)
            var result: Result<ServerTrust.Connected, ClientFailure>?
            // The new connection's lines can come before the news that it is up: its
            // `HELLO`, dropped here, left the login waiting for it until its timeout.
            var early: [ClientEvent] = []
            while result == nil {
                guard let event = await events.next() else { return .cancelled }
                switch event {
                case .connectAttempt(let number, let outcome) where number == attempt:
                    result = outcome
                case .connection:
                    // Only this attempt's connection reaches the stream (`ServerLink`
                    // retired the others).
                    early.append(event)
                case .connectAttempt, .deadline:
                    continue
                default:
                    if other(event) { return .cancelled }
                }
            }
            switch result {
            case .success(let connected)?:
                do throws(ClientFailure) {
                    let loggedIn = try await ClientLogin.perform(
                        connection: connected.connection, events: &events, continuation: link.continuation, user: user,
                        password: password, remark: { _ in }, other: other, arrivedEarly: early)
                    backoff.reset()
                    return .reconnected(connected.connection, stamps: loggedIn.stamps, pinnedNow: connected.pinnedNow)
                } catch {
                    link.retire()
                    await connected.connection.close()
                    switch error.kind {
                    case .transient: failure = error.description
                    case .cancelled: return .cancelled
                    case .final: return .stopped(error.description)
                    }
                }
            case .failure(let error)?:
                guard error.kind == .transient else { return .stopped(error.description) }
                failure = error.description
            case nil:
                return .cancelled
            }
        }
    }

    /// Waits for the deadline `name`, handing everything else to `other`; false
    /// when `other` gave up or the stream ended.
    private func wait(
        for name: String,
        events: inout AsyncStream<ClientEvent>.Iterator,
        other: (ClientEvent) -> Bool
    ) async -> Bool {
        while let event = await events.next() {
            switch event {
            case .deadline(let due) where due == name:
                return true
            case .connection, .connectAttempt:
                continue
            case .deadline(let due) where due.hasPrefix("reconnect-"):
                continue
            default:
                if other(event) { return false }
            }
        }
        return false
    }
}
