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
final class LoopAppender {
    typealias Stored = @Sendable (Result<EventID, any Error>) -> Void

    private let eventLoop: EventLoop
    private let store: any ConversationStore
    private var events: [NewEvent] = []
    private var callbacks: [Stored] = []
    private var scheduled = false

    init(eventLoop: EventLoop, store: any ConversationStore) {
        self.eventLoop = eventLoop
        self.store = store
    }

    /// Stores `event` with the others of this pass; `stored` is called as by
    /// `ConversationStore.append(_:whenStored:)`, in the order of the ids. Call on
    /// `eventLoop`.
    func append(_ event: NewEvent, whenStored stored: @escaping Stored) {
        events.append(event)
        callbacks.append(stored)
        guard !scheduled else { return }
        scheduled = true
        eventLoop.assumeIsolated().execute { [self] in
            scheduled = false
            let events = events
            let callbacks = callbacks
            self.events.removeAll(keepingCapacity: true)
            self.callbacks.removeAll(keepingCapacity: true)
            // One transaction: the pass's messages are all stored, or none is.
            store.append(events) { result in
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
