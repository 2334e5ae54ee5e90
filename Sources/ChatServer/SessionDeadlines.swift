import NIOCore

/// A session's time limits: the login grace period, and the idle `PING` with its
/// answer deadline. Pure: `SessionTimeouts` asks `check(now:)` once per interval and
/// the handler does what it answers.
struct SessionDeadlines {
    enum Due: Equatable {
        case none
        /// No login within the grace period.
        case loginGraceExpired
        /// Silent since the `PING`: the peer is gone or stuck.
        case pingUnanswered
        /// Silent for the idle timeout: send `PING` with this token.
        case ping(String)
    }

    let loginGracePeriod: TimeAmount
    let idleTimeout: TimeAmount
    let pingTimeout: TimeAmount
    private var lastInput: NIODeadline
    /// Until login: when the grace period ends.
    private var loginDeadline: NIODeadline?
    /// While a `PING` is unanswered: when the peer is given up on.
    private var pingDeadline: NIODeadline?

    init(loginGracePeriod: TimeAmount, idleTimeout: TimeAmount, pingTimeout: TimeAmount, now: NIODeadline) {
        self.loginGracePeriod = loginGracePeriod
        self.idleTimeout = idleTimeout
        self.pingTimeout = pingTimeout
        self.lastInput = now
    }

    /// The handshake is done: the grace period starts.
    mutating func started(now: NIODeadline) {
        lastInput = now
        loginDeadline = now + loginGracePeriod
    }

    mutating func loggedIn() {
        loginDeadline = nil
    }

    /// Any line counts as activity, and as the answer to a `PING`.
    mutating func inputReceived(now: NIODeadline) {
        lastInput = now
        pingDeadline = nil
    }

    mutating func check(now: NIODeadline) -> Due {
        if let deadline = loginDeadline, now >= deadline {
            loginDeadline = nil
            return .loginGraceExpired
        }
        if let deadline = pingDeadline {
            return now >= deadline ? .pingUnanswered : .none
        }
        if now >= lastInput + idleTimeout {
            pingDeadline = now + pingTimeout
            return .ping(String(now.uptimeNanoseconds, radix: 36))
        }
        return .none
    }
}
