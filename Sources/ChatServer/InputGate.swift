import ChatProtocol
import NIOCore

/// When a session's next line may be handled. Pure: the handler feeds it lines and
/// events and does what it answers.
///
/// Lines wait here, in order, while an operation (a password check, a look-up) runs
/// or the rate limit holds them, and meanwhile the handler stops asking the channel
/// for more input, so a fast sender cannot make the server buffer without bound.
/// Until login the wait is bounded by count and bytes as well: one read can carry
/// thousands of short lines, all of which would otherwise be held for the whole
/// password check.
struct InputGate {
    enum Admission: Equatable {
        case held
        /// Too much waiting before login: end the connection.
        case flood
    }

    enum Next: Equatable {
        case handle(InboundLine)
        /// The rate limit says wait this long, then call `rateWaitEnded()`.
        case wait(TimeAmount)
        /// Nothing to handle now.
        case idle
    }

    let maxLinesBeforeLogin: Int
    let maxBytesBeforeLogin: Int
    private var rateLimiter: LineRateLimiter
    /// Usually empty or holding a line or two; it grows on demand (the default initial
    /// capacity of 16 is ~300 bytes per idle session).
    private var pending = CircularBuffer<InboundLine>(initialCapacity: 4)
    /// Bytes of text in `pending`, counted only until login.
    private var pendingBytes = 0
    /// Operations under way; one may start another (logging in, then entering the
    /// hub), and lines wait until the last has ended.
    private var operationsInFlight = 0
    var operationInFlight: Bool { operationsInFlight > 0 }
    private var rateLimited = false
    /// The channel asked to read while blocked; pass the read on once unblocked.
    private var readHeld = false

    init(linesPerSecond: Double, burst: Int, maxLinesBeforeLogin: Int, maxBytesBeforeLogin: Int, now: NIODeadline) {
        self.rateLimiter = LineRateLimiter(linesPerSecond: linesPerSecond, burst: burst, now: now)
        self.maxLinesBeforeLogin = maxLinesBeforeLogin
        self.maxBytesBeforeLogin = maxBytesBeforeLogin
    }

    var isBlocked: Bool { operationInFlight || rateLimited }
    var pendingCount: Int { pending.count }

    /// Queues a line behind any that wait.
    mutating func received(_ line: InboundLine, loggedIn: Bool) -> Admission {
        pending.append(line)
        guard !loggedIn else {
            pendingBytes = 0
            return .held
        }
        if case .text(let text) = line {
            pendingBytes += text.utf8.count
        }
        if pending.count > maxLinesBeforeLogin || pendingBytes > maxBytesBeforeLogin {
            return .flood
        }
        return .held
    }

    /// The next line to handle, if nothing blocks it.
    mutating func next(now: NIODeadline) -> Next {
        guard !isBlocked, let line = pending.first else { return .idle }
        if let wait = rateLimiter.admit(now: now) {
            // Delay rather than drop (Ergo's "fakelag"): a paste arrives whole, just
            // slower, and a flood costs the flooder its own latency.
            rateLimited = true
            return .wait(wait)
        }
        pending.removeFirst()
        if case .text(let text) = line, pendingBytes > 0 {
            pendingBytes = max(0, pendingBytes - text.utf8.count)
        }
        return .handle(line)
    }

    mutating func rateWaitEnded() {
        rateLimited = false
    }

    mutating func operationStarted() {
        operationsInFlight += 1
    }

    mutating func operationEnded() {
        operationsInFlight = max(0, operationsInFlight - 1)
    }

    /// The channel wants to read: true to pass the read on now, false to hold it.
    mutating func readRequested() -> Bool {
        guard isBlocked else { return true }
        readHeld = true
        return false
    }

    /// After unblocking: true when a held read should be passed on now.
    mutating func takeHeldRead() -> Bool {
        guard !isBlocked, readHeld else { return false }
        readHeld = false
        return true
    }

    /// Drops everything waiting (the connection is closing).
    mutating func discard() {
        pending.removeAll()
        pendingBytes = 0
    }
}
