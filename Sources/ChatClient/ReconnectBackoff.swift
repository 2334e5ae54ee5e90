/// How long to wait before each try to reconnect: doubling from half a second to a
/// cap of 30 s, each pause scaled by a random factor, so that the people a server
/// restart dropped together do not all come back in the same instant (the storm
/// that would make the restarted server answer `ERR busy`).
///
/// Pure: the jitter factor is passed in, so tests pick it.
struct ReconnectBackoff: Sendable {
    static let first: Duration = .milliseconds(500)
    static let cap: Duration = .seconds(30)
    /// Each pause is scaled by a factor from this range.
    static let jitter: ClosedRange<Double> = 0.75...1.25

    /// Tries made since the connection was last up.
    private(set) var attempts = 0

    /// The pause before the next try; counts the try.
    mutating func nextDelay(jitter: Double = .random(in: Self.jitter)) -> Duration {
        let doublings = min(attempts, 16)
        attempts += 1
        let base = min(Self.first * (1 << doublings), Self.cap)
        let factor = min(max(jitter, Self.jitter.lowerBound), Self.jitter.upperBound)
        return min(base * factor, Self.cap)
    }

    /// The connection is up again: the next drop starts from the first pause.
    mutating func reset() {
        attempts = 0
    }
}
