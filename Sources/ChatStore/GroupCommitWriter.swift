import Foundation
internal import GRDB

/// Collects appends from many callers and stores them in one transaction per batch,
/// on a thread of its own, never on a caller's (an event loop's) thread. Each caller
/// resumes once the transaction holding its events has committed.
///
/// One commit per batch instead of one per message is what makes storing every message
/// cheap: SQLite's cost is per transaction (the WAL append and its lock), not per row.
/// While a batch commits the next one gathers, so a busy server makes big batches and
/// an idle one commits each message at once, with no timer adding latency.
///
/// Durability is the pool's: in WAL mode with `synchronous=NORMAL` (the default) a
/// process crash, `kill -9` included, loses nothing that was committed, so nothing any
/// caller was told was stored; a power cut or kernel crash can lose the last
/// transactions before the WAL reaches the disk (never corrupting the file).
/// `SQLiteStore.Durability.full` syncs the WAL at every commit, closing that gap at the
/// cost of one fsync per batch.
///
/// A failed batch (disk full, read-only file) fails every caller in it, and nothing of
/// it is stored; the next batch tries again, so the writer recovers by itself.
final class GroupCommitWriter: @unchecked Sendable {
    /// Who hears of a batch's outcome: a suspended `append`, or a callback run on the
    /// writer's thread right after the commit, in the order the events were stored.
    private enum Waiter {
        case continuation(CheckedContinuation<[EventID], any Error>)
        case callback(@Sendable (Result<[EventID], any Error>) -> Void)

        func resume(with result: Result<[EventID], any Error>) {
            switch self {
            case .continuation(let continuation): continuation.resume(with: result)
            case .callback(let callback): callback(result)
            }
        }
    }

    private enum State {
        case idle
        case running
        case stopping
        case stopped
    }

    private let pool: DatabasePool
    /// The most events one transaction takes (more wait for the next): bounds how long
    /// a transaction holds the write lock that `chat-useradd` also needs.
    private let maxBatchEvents: Int

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var state = State.idle
    private var pending: [(events: [NewEvent], waiter: Waiter)] = []
    private var thread: Thread?
    private var afterBatch: (@Sendable () -> Void)?

    init(pool: DatabasePool, maxBatchEvents: Int = 4_096) {
        self.pool = pool
        self.maxBatchEvents = maxBatchEvents
    }

    /// Stores `events` in the next batch; returns their ids once it has committed.
    ///
    /// - Throws: `ConversationStoreError.closed` after `shutdown()`, or the batch's error.
    func append(_ events: [NewEvent]) async throws -> [EventID] {
        guard !events.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            submit(events, .continuation(continuation))
        }
    }

    /// Stores `events` in the next batch and calls `stored` on the writer's thread
    /// once it has committed (or failed). Calls come one at a time, in the order of
    /// the events' ids, so a caller that hands events on from `stored` keeps the
    /// log's order. `stored` must be quick: the next batch waits for it.
    func append(_ events: [NewEvent], whenStored stored: @escaping @Sendable (Result<[EventID], any Error>) -> Void) {
        guard !events.isEmpty else { return stored(.success([])) }
        submit(events, .callback(stored))
    }

    private func submit(_ events: [NewEvent], _ waiter: Waiter) {
        condition.lock()
        switch state {
        case .stopping, .stopped:
            condition.unlock()
            // Outside the lock: a callback may append again.
            waiter.resume(with: .failure(ConversationStoreError.closed))
            return
        case .idle:
            state = .running
            let thread = Thread { [self] in run() }
            thread.name = "securechat.group-commit"
            self.thread = thread
            thread.start()
        case .running:
            break
        }
        pending.append((events, waiter))
        condition.signal()
        condition.unlock()
    }

    /// Calls `hook` on the writer's thread after the `stored` callbacks of each batch
    /// (committed or failed) have run: a caller that collects what its callbacks
    /// received can hand it on once per batch instead of once per event.
    func afterEachBatch(_ hook: @escaping @Sendable () -> Void) {
        condition.lock()
        afterBatch = hook
        condition.unlock()
    }

    /// Commits what is pending, then stops the thread; later appends throw `closed`.
    /// Blocks until the last batch has committed.
    func shutdown() {
        condition.lock()
        defer { condition.unlock() }
        switch state {
        case .idle:
            state = .stopped
            return
        case .running:
            state = .stopping
            condition.broadcast()
        case .stopping, .stopped:
            break
        }
        // Called from the writer's own thread (a store released there), waiting would
        // never end; the loop stops by itself after the batch in hand.
        if let thread, Thread.current === thread { return }
        while state != .stopped {
            condition.wait()
        }
    }

    private func run() {
        while let (batch, afterBatch) = nextBatch() {
            commit(batch)
            afterBatch?()
        }
    }

    /// The next batch: at least one caller's events, then whole callers while they fit.
    /// Nil once stopping with nothing left.
    private func nextBatch() -> ([(events: [NewEvent], waiter: Waiter)], (@Sendable () -> Void)?)? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && state == .running {
            condition.wait()
        }
        if pending.isEmpty {
            state = .stopped
            condition.broadcast()
            return nil
        }
        var count = pending[0].events.count
        var taken = 1
        while taken < pending.count && count + pending[taken].events.count <= maxBatchEvents {
            count += pending[taken].events.count
            taken += 1
        }
        let batch = Array(pending.prefix(taken))
        pending.removeFirst(taken)
        return (batch, afterBatch)
    }

    private func commit(_ batch: [(events: [NewEvent], waiter: Waiter)]) {
        do {
            let ids = try pool.write { db in
                try batch.map { try ConversationSQL.insert($0.events, in: db) }
            }
            for (request, ids) in zip(batch, ids) {
                request.waiter.resume(with: .success(ids))
            }
        } catch {
            for request in batch {
                request.waiter.resume(with: .failure(error))
            }
        }
    }
}
