import ChatStore
import NIOConcurrencyHelpers
import NIOCore

/// One per event loop: the messages its sessions send during one pass of the loop
/// reach the store as one append, at the end of the pass.
///
/// Appended one by one, each message woke the store's writer thread, which on a busy
/// core took the CPU in the middle of the loop's pass and committed the half it had
/// been given: twice the batches, loop passes and writes to each recipient per message
/// of what the same traffic costs with storage off. One append per pass gives the
/// writer everything the pass read, as the loop fans out everything it read in one
/// pass when nothing is stored. Like `OutboundFlusher`, the submission is a task
/// queued during the pass, which runs once the pass's reads are done.
///
/// Once stored, the pass's callbacks go to the `FanOutQueue` in as few items as its
/// burst per pass allows (usually one), and run on its loop: one hand-off per pass of
/// messages, not one per message.
final class LoopAppender {
    typealias Stored = @Sendable (Result<EventID, any Error>) -> Void

    private let eventLoop: EventLoop
    private let store: any ConversationStore
    private let fanOut: FanOutQueue
    private var events: [NewEvent] = []
    private var callbacks: [Stored] = []
    /// The pass's callbacks cut into the fan-out queue's items: where each ends and
    /// about how many bytes of lines it fans out, at most a pass's burst each.
    private var pieces: [(end: Int, bytes: Int)] = []
    private var scheduled = false
    /// Passes handed to the store so far.
    private var submitted = 0
    /// The last pass the store answered (it answers in order), and who waits for one.
    private let answered = NIOLockedValueBox(Answered())

    private struct Answered {
        typealias Waiter = (pass: Int, run: @Sendable () -> Void)
        var pass = 0
        var waiters: [Waiter] = []
    }

    init(eventLoop: EventLoop, store: any ConversationStore, fanOut: FanOutQueue) {
        self.eventLoop = eventLoop
        self.store = store
        self.fanOut = fanOut
    }

    /// Stores `event` with the others of this pass; `stored` is called on the
    /// fan-out queue's loop, in the order of the ids. Call on `eventLoop`.
    func append(_ event: NewEvent, whenStored stored: @escaping Stored) {
        events.append(event)
        callbacks.append(stored)
        // About the line it becomes: the body and a line's words around it.
        let bytes = event.body.count + 32
        if let last = pieces.last, last.bytes + bytes <= fanOut.bytesPerPass {
            pieces[pieces.count - 1] = (callbacks.count, last.bytes + bytes)
        } else {
            pieces.append((callbacks.count, bytes))
        }
        guard !scheduled else { return }
        scheduled = true
        eventLoop.assumeIsolated().execute { [self] in
            scheduled = false
            let events = events
            let callbacks = callbacks
            let pieces = pieces
            self.events.removeAll(keepingCapacity: true)
            self.callbacks.removeAll(keepingCapacity: true)
            self.pieces.removeAll(keepingCapacity: true)
            submitted += 1
            let pass = submitted
            // One transaction: the pass's messages are all stored, or none is.
            store.append(events) { [fanOut, answered, eventLoop] result in
                let due = answered.withLockedValue { answered -> [Answered.Waiter] in
                    answered.pass = pass
                    guard !answered.waiters.isEmpty else { return [] }
                    let due = answered.waiters.filter { $0.pass <= pass }
                    answered.waiters.removeAll { $0.pass <= pass }
                    return due
                }
                for waiter in due {
                    eventLoop.execute(waiter.run)
                }
                var start = 0
                for piece in pieces {
                    let range = start..<piece.end
                    start = piece.end
                    fanOut.add(bytes: piece.bytes) {
                        switch result {
                        case .success(let ids):
                            for index in range {
                                callbacks[index](.success(ids[index]))
                            }
                        case .failure(let error):
                            for index in range {
                                callbacks[index](.failure(error))
                            }
                        }
                    }
                }
            }
        }
    }

    /// Runs `body` on this loop once every message appended on it so far is stored
    /// (or refused). For a message that reaches the store another way, a direct
    /// message queued for an offline account (stored with its queue entry in one
    /// transaction), so that it cannot overtake its sender's earlier messages in the
    /// log: ids, catch-up and history then keep the order the sender wrote in. Call on
    /// `eventLoop`.
    func afterEarlierAppends(_ body: @escaping @Sendable () -> Void) {
        eventLoop.assertInEventLoop()
        // A pass still gathering is handed over at the end of this loop pass, as the
        // next one.
        let pass = submitted + (scheduled ? 1 : 0)
        let ready = answered.withLockedValue { answered in
            guard answered.pass < pass else { return true }
            answered.waiters.append((pass, body))
            return false
        }
        if ready { body() }
    }
}
