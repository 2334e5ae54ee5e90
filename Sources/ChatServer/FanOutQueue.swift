import NIOConcurrencyHelpers
import NIOCore

/// Stored messages waiting to be fanned out, in the log's order, handed to one event
/// loop a batch at a time.
///
/// The store calls back on its writer thread. Fanning each message out from there
/// woke an event loop per message, and on a busy core the woken loop took the CPU at
/// once: it fanned out one message, wrote one line to each recipient and slept again,
/// twice the writes and context switches per delivery of the same traffic with
/// storage off. Queued here instead (by `LoopAppender`, a loop pass's messages in as
/// few items as fit in a pass) and flushed by the store once per group commit
/// (`SQLiteStore.afterEachBatch`), a batch is fanned out in passes of one loop, and
/// every recipient gets a pass's lines in one write, as lines read together are. One
/// loop, always the same, runs the fan-out, so the hub sees the messages in the order
/// of their ids.
///
/// A pass fans out at most `bytesPerPass` of messages (or one item, whatever its
/// size), then lets the loop flush before the next: a recipient's outbound queue,
/// whose cap counts what is queued between two flushes, must not see a burst that
/// alone looks like a slow reader. (Items of a whole loop pass each once fanned out
/// 50 KiB of long lines at a time into queues capped at 32 KiB, and cut off readers
/// that were keeping up.)
final class FanOutQueue: Sendable {
    private struct Item {
        let bytes: Int
        let work: @Sendable () -> Void
    }

    private struct Pending {
        var items: [Item] = []
        var drainScheduled = false
    }

    private let loop: EventLoop
    /// The most one pass fans out; `add` callers keep their items within it.
    let bytesPerPass: Int
    private let pending = NIOLockedValueBox(Pending())

    /// `bytesPerPass`: a quarter of the outbound queue's cap suits (`forQueueCap`).
    init(loop: EventLoop, bytesPerPass: Int) {
        self.loop = loop
        self.bytesPerPass = bytesPerPass
    }

    /// The burst a pass may give each recipient with sessions' outbound queues capped
    /// at `cap` bytes: a quarter of it (64 KiB by default), at least 4 KiB.
    static func bytesPerPass(forQueueCap cap: Int) -> Int {
        max(4 * 1024, cap / 4)
    }

    /// Queues `work`, the fan-out of messages of about `bytes`, behind the others; it
    /// runs after the next `flush`.
    func add(bytes: Int, _ work: @escaping @Sendable () -> Void) {
        pending.withLockedValue { $0.items.append(Item(bytes: bytes, work: work)) }
    }

    /// Hands what is queued to the loop, unless a hand-off is already on its way (it
    /// will take these too).
    func flush() {
        let schedule = pending.withLockedValue { pending -> Bool in
            guard !pending.items.isEmpty, !pending.drainScheduled else { return false }
            pending.drainScheduled = true
            return true
        }
        if schedule {
            loop.execute { [self] in drain() }
        }
    }

    private func drain() {
        let items = pending.withLockedValue { pending in
            defer { pending.items = [] }
            return pending.items
        }
        var index = items.startIndex
        var spent = 0
        while index < items.endIndex, spent == 0 || spent + items[index].bytes <= bytesPerPass {
            spent += items[index].bytes
            items[index].work()
            index += 1
        }
        let more = pending.withLockedValue { pending -> Bool in
            // What this pass left goes before anything queued meanwhile.
            pending.items.insert(contentsOf: items[index...], at: 0)
            pending.drainScheduled = !pending.items.isEmpty
            return pending.drainScheduled
        }
        if more {
            // Queued behind this pass's flush.
            loop.execute { [self] in drain() }
        }
    }
}
