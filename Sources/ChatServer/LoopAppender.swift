import ChatStore
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
/// Once stored, the pass's callbacks go to the `FanOutQueue` together, as one item, and
/// run on its loop: one hand-off per pass of messages, not one per message.
final class LoopAppender {
    typealias Stored = @Sendable (Result<EventID, any Error>) -> Void

    private let eventLoop: EventLoop
    private let store: any ConversationStore
    private let fanOut: FanOutQueue
    private var events: [NewEvent] = []
    private var callbacks: [Stored] = []
    private var bytes = 0
    private var scheduled = false

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
        bytes += event.body.count + 32
        guard !scheduled else { return }
        scheduled = true
        eventLoop.assumeIsolated().execute { [self] in
            scheduled = false
            let events = events
            let callbacks = callbacks
            let bytes = bytes
            self.events.removeAll(keepingCapacity: true)
            self.callbacks.removeAll(keepingCapacity: true)
            self.bytes = 0
            // One transaction: the pass's messages are all stored, or none is.
            store.append(events) { [fanOut] result in
                fanOut.add(bytes: bytes) {
                    switch result {
                    case .success(let ids):
                        for (callback, id) in zip(callbacks, ids) {
                            callback(.success(id))
                        }
                    case .failure(let error):
                        for callback in callbacks {
                            callback(.failure(error))
                        }
                    }
                }
            }
        }
    }
}
