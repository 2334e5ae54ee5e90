import NIOCore

/// Enforces the time limits of every session on one event loop (login grace period,
/// idle PING, PING answer) with one check every `interval`, instead of a timer per
/// session.
///
/// NIO cancels a scheduled task by searching the loop's whole timer heap, so with a
/// timer per session every login and every disconnect paid a scan over every other
/// session's timer: a few per cent of a login's CPU at 10,000 idle sessions, and linear
/// beyond. Each timer also held a few hundred bytes per idle session. mosquitto checks
/// keep-alives the same way, in a periodic pass over its clients. The price is
/// precision: a limit is noticed up to one `interval` late.
final class SessionTimeouts {
    private let eventLoop: EventLoop
    private let interval: TimeAmount
    private var sessions: [SessionID: SessionHandler] = [:]
    private var nextCheck: Scheduled<Void>?

    init(eventLoop: EventLoop, interval: TimeAmount) {
        self.eventLoop = eventLoop
        self.interval = interval
    }

    /// The check interval for these limits: a quarter of the shortest (so a limit is
    /// noticed at most 25 % late), between 10 ms and 1 s.
    static func interval(for limits: TimeAmount...) -> TimeAmount {
        let shortest = limits.filter { $0 > .zero }.min() ?? .seconds(1)
        return min(max(.nanoseconds(shortest.nanoseconds / 4), .milliseconds(10)), .seconds(1))
    }

    /// Starts checking `session`; call on `eventLoop`.
    func watch(_ session: SessionHandler) {
        sessions[session.id] = session
        if nextCheck == nil {
            scheduleCheck()
        }
    }

    /// Stops checking `session`; call on `eventLoop`. With no sessions left the loop
    /// gets no more wake-ups.
    func forget(_ session: SessionHandler) {
        guard sessions.removeValue(forKey: session.id) != nil else { return }
        if sessions.isEmpty {
            nextCheck?.cancel()
            nextCheck = nil
        }
    }

    private func scheduleCheck() {
        nextCheck = eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            nextCheck = nil
            let now = eventLoop.now
            // A check may close its session, which then forgets itself: walk a copy.
            for session in Array(sessions.values) {
                session.checkTimeouts(now: now)
            }
            if !sessions.isEmpty, nextCheck == nil {
                scheduleCheck()
            }
        }
    }
}
