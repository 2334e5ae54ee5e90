import Foundation
import NIOCore
import Prometheus

/// What a server counts, for its `/metrics` endpoint (`ServerConfiguration.metricsListen`).
///
/// Each server owns its registry, so the process-wide `MetricsSystem` is never
/// bootstrapped (tests run many servers in one process) and two servers never share a
/// count. Every metric is made once here and handed to the parts that count; counters
/// and gauges are single atomics (swift-prometheus `ManagedAtomic`, relaxed), so the
/// message path takes no lock. Histograms take a lock, and are only used where a
/// thread pool already does far more work (a password hash, a database write).
///
/// No label ever holds a user or room name: the only labels are the fixed sets below.
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    /// Open connections by state; a connection is in exactly one of them.
    let connections: ConnectionGauges
    let logins: Counter
    let loginFailures: LoginFailureCounters
    let penalties: Counter
    let busyReplies: Counter
    let roomMessages: Counter
    let directMessages: Counter
    let encryptedDirectMessages: Counter
    let deliveries: Counter
    let slowConsumers: Counter
    let rateLimitDelays: Counter
    let handshakeFailures: Counter
    let accountChangeDisconnects: Counter
    let hashingQueued: Gauge
    let hashingWait: DurationHistogram
    let loginStampBatch: DurationHistogram
    let certificateExpiry: Gauge

    init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func counter(_ name: String, _ help: String, labels: [(String, String)] = []) -> Counter {
            registry.makeCounter(
                descriptor: MetricNameDescriptor(namespace: "securechat", metricName: name, unitName: "total", helpText: help),
                labels: labels
            )
        }
        func gauge(_ name: String, unit: String = "", _ help: String, labels: [(String, String)] = []) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "securechat", metricName: name, unitName: unit, helpText: help),
                labels: labels
            )
        }
        func histogram(_ name: String, _ help: String, buckets: [Duration]) -> DurationHistogram {
            registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(namespace: "securechat", metricName: name, unitName: "seconds", helpText: help),
                buckets: buckets
            )
        }

        let connectionsHelp = "Open connections by state: TLS handshake, awaiting login, logged in."
        connections = ConnectionGauges(
            handshaking: gauge("connections", connectionsHelp, labels: [("state", "handshaking")]),
            awaitingLogin: gauge("connections", connectionsHelp, labels: [("state", "awaiting_login")]),
            loggedIn: gauge("connections", connectionsHelp, labels: [("state", "logged_in")])
        )
        logins = counter("logins", "Successful logins.")
        let failuresHelp = "Failed logins by reason."
        loginFailures = LoginFailureCounters(
            wrongPassword: counter("login_failures", failuresHelp, labels: [("reason", "wrong_password")]),
            noSuchUser: counter("login_failures", failuresHelp, labels: [("reason", "no_such_user")]),
            invalidName: counter("login_failures", failuresHelp, labels: [("reason", "invalid_name")]),
            locked: counter("login_failures", failuresHelp, labels: [("reason", "locked")])
        )
        penalties = counter("login_penalties", "Logins and password changes delayed by earlier failures.")
        busyReplies = counter("busy_replies", "ERR busy answers (password checks saturated, store failures).")
        let messagesHelp = "Messages delivered by kind: room posts, DMs, end-to-end encrypted DMs."
        roomMessages = counter("messages", messagesHelp, labels: [("kind", "room")])
        directMessages = counter("messages", messagesHelp, labels: [("kind", "dm")])
        encryptedDirectMessages = counter("messages", messagesHelp, labels: [("kind", "edm")])
        deliveries = counter("deliveries", "Copies of messages handed to recipient sessions (room members, DM sessions).")
        slowConsumers = counter("slow_consumers", "Sessions disconnected because their outbound queue overflowed.")
        rateLimitDelays = counter("rate_limit_delays", "Times a session's next line was delayed by the line rate limit.")
        handshakeFailures = counter("tls_handshake_failures", "TLS handshakes that failed or timed out.")
        accountChangeDisconnects = counter(
            "account_change_disconnects",
            "Sessions ended because their account was locked, deleted or given a new password."
        )
        hashingQueued = gauge("password_checks_waiting", "Password checks admitted and waiting for a hashing thread.")
        hashingWait = histogram(
            "password_check_wait",
            "Time from a password check's admission to the start of its hash.",
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250),
                .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
            ]
        )
        loginStampBatch = histogram(
            "login_stamp_batch",
            "Time to write one batch of last-login stamps to the store.",
            buckets: [
                .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
            ]
        )
        certificateExpiry = gauge(
            "certificate_expiry",
            unit: "timestamp_seconds",
            "When the served certificate expires (notAfter), in seconds since the Unix epoch."
        )
    }

    /// The registry in the Prometheus text format (version 0.0.4).
    func render() -> [UInt8] {
        registry.emitToBuffer()
    }

    /// Sets the certificate expiry gauge from the seconds left (`TLSContext`).
    func certificateExpires(inSeconds remaining: Int?) {
        guard let remaining else { return }
        certificateExpiry.set(Double(Int(Date().timeIntervalSince1970) + remaining))
    }

    /// Counts a password check's wait for a thread: the returned closure, run on the
    /// pool, records how long it waited before `work` begins.
    func timingHashWait<Result>(
        _ work: @escaping @Sendable () throws -> Result
    ) -> @Sendable () throws -> Result {
        let admitted = ContinuousClock.now
        hashingQueued.increment()
        return { [hashingQueued, hashingWait] in
            hashingQueued.decrement()
            hashingWait.record(ContinuousClock.now - admitted)
            return try work()
        }
    }

}

extension ServerMetrics? {
    /// Times one batch write of login stamps; with metrics off, only writes.
    func timingLoginStamps<Result>(_ write: () async throws -> Result) async rethrows -> Result {
        guard let metrics = self else { return try await write() }
        let start = ContinuousClock.now
        defer { metrics.loginStampBatch.record(ContinuousClock.now - start) }
        return try await write()
    }
}

extension ServerMetrics {
    /// The three connection-state gauges, moved as a connection changes state.
    struct ConnectionGauges: Sendable {
        enum State {
            case handshaking
            case awaitingLogin
            case loggedIn
        }

        let handshaking: Gauge
        let awaitingLogin: Gauge
        let loggedIn: Gauge

        /// Moves one connection from `old` to `new`; nil is "not open".
        func move(from old: State?, to new: State?) {
            if let old { gauge(old).decrement() }
            if let new { gauge(new).increment() }
        }

        /// Where one connection is counted; moves it between the gauges (nothing
        /// when metrics are off).
        struct Position {
            private let gauges: ConnectionGauges?
            private(set) var state: State?

            init(_ gauges: ConnectionGauges?) {
                self.gauges = gauges
            }

            mutating func move(to new: State?) {
                guard new != state else { return }
                gauges?.move(from: state, to: new)
                state = new
            }
        }

        private func gauge(_ state: State) -> Gauge {
            switch state {
            case .handshaking: handshaking
            case .awaitingLogin: awaitingLogin
            case .loggedIn: loggedIn
            }
        }
    }

    struct LoginFailureCounters: Sendable {
        let wrongPassword: Counter
        let noSuchUser: Counter
        let invalidName: Counter
        let locked: Counter

        /// The counter for an `Authenticator` rejection reason; nil for one this list
        /// does not know (a label's values must stay a fixed, small set).
        func counter(forReason reason: String) -> Counter? {
            switch reason {
            case "wrong password": wrongPassword
            case "no such user": noSuchUser
            case "invalid user name": invalidName
            case "account locked": locked
            default: nil
            }
        }
    }
}
