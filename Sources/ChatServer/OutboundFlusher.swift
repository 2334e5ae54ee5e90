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
    private let eventLoop: EventLoop
    private var pending: [SessionHandler] = []
    private var scheduled = false

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Flushes `session` at the end of this loop pass. Call on `eventLoop`, at most
    /// once per session per pass (the session keeps its own flag).
    func schedule(_ session: SessionHandler) {
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
        }
    }
}

/// The flusher of each of a group's event loops, looked up by loop.
struct OutboundFlushers: Sendable {
    private let flushers: [ObjectIdentifier: NIOLoopBoundBox<OutboundFlusher>]

    /// Callable off the loops: each flusher is moved into its box and only ever
    /// touched on its own loop afterwards.
    init(group: EventLoopGroup) {
        var flushers: [ObjectIdentifier: NIOLoopBoundBox<OutboundFlusher>] = [:]
        for loop in group.makeIterator() {
            flushers[ObjectIdentifier(loop)] = .makeBoxSendingValue(OutboundFlusher(eventLoop: loop), eventLoop: loop)
        }
        self.flushers = flushers
    }

    /// The flusher for `eventLoop`; call on that loop.
    func flusher(for eventLoop: EventLoop) -> OutboundFlusher {
        if let flusher = flushers[ObjectIdentifier(eventLoop)] {
            return flusher.value
        }
        // Not one of the group's loops (cannot happen for server channels); a
        // private flusher still works, just without sharing the pass.
        return OutboundFlusher(eventLoop: eventLoop)
    }
}
