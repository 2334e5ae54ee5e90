import NIOCore

/// A token bucket over a session's lines: `burst` at once, then `rate` per second.
/// Pure: the handler asks, and waits as told.
struct LineRateLimiter {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var refilledAt: NIODeadline

    /// A rate of 0 (or less) means no limit.
    init(linesPerSecond rate: Double, burst: Int, now: NIODeadline = .now()) {
        self.rate = rate
        self.burst = Double(max(1, burst))
        self.tokens = self.burst
        self.refilledAt = now
    }

    /// Takes one line's token: nil if the line may go now, else how long to wait.
    mutating func admit(now: NIODeadline = .now()) -> TimeAmount? {
        guard rate > 0 else { return nil }
        let elapsed = Double((now - refilledAt).nanoseconds) / 1e9
        tokens = min(burst, tokens + max(0, elapsed) * rate)
        refilledAt = now
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return .nanoseconds(Int64(((1 - tokens) / rate * 1e9).rounded(.up)))
    }
}
