import NIOCore

/// One per event loop: sessions with freshly queued output register here, and a
/// single task per loop pass flushes them all, after every task already queued (the
/// hub's deliveries among them) has run.
///
/// That is what IRC servers do with their per-client send queues: everything a
/// session collects during a pass leaves as one TLS record and one write. A task per
/// session would cost a closure and a locked enqueue for each of a room's members on
/// every message.
final class OutboundFlusher {
    /// What the loop's sessions queue their lines in and gather them into, reused
    /// pass after pass.
    let scratch = OutboundScratch()
    private let eventLoop: EventLoop
    private var pending: [SessionOutbox] = []
    private var scheduled = false

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Flushes `session` at the end of this loop pass. Call on `eventLoop`, at most
    /// once per outbox per pass (its queue keeps the flag).
    func schedule(_ session: SessionOutbox) {
        pending.append(session)
        guard !scheduled else { return }
        scheduled = true
        eventLoop.assumeIsolated().execute { [self] in
            scheduled = false
            let sessions = pending
            pending.removeAll(keepingCapacity: true)
            for session in sessions {
                session.flushScheduledOutput()
            }
            scratch.passEnded()
        }
    }
}
