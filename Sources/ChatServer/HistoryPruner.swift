import ChatStore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Removes history past the retention policy: once at start-up, then every `interval`.
///
/// A pass runs in a task, never on an event loop, and the store deletes in bounded
/// steps (`SQLiteStore.pruneStep` rows per transaction), so messages keep being
/// stored between the steps of even a large first pass (an upgrade, or a shorter
/// `history.max-age`). The policy is read at each pass, so a reload applies from the
/// next one. A pass that fails (a full disk) is logged and tried again at the next.
final class HistoryPruner: Sendable {
    private let store: any ConversationStore
    private let interval: TimeAmount
    private let policy: @Sendable () -> RetentionPolicy
    private let logger: Logger
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(store: any ConversationStore, interval: TimeAmount, policy: @escaping @Sendable () -> RetentionPolicy, logger: Logger) {
        self.store = store
        self.interval = interval
        self.policy = policy
        self.logger = logger
    }

    /// Starts the passes: the first at once.
    func start() {
        task.withLockedValue { task in
            guard task == nil else { return }
            task = Task { [self] in
                while !Task.isCancelled {
                    await pass()
                    try? await Task.sleep(for: .nanoseconds(interval.nanoseconds))
                }
            }
        }
    }

    /// Ends the passes; a pass under way stops after its current step. Returns once it has.
    func stop() async {
        let running = task.withLockedValue { $0 }
        running?.cancel()
        await running?.value
    }

    /// One pass; returns how many events went, or nil when it failed.
    @discardableResult
    func pass() async -> Int? {
        let policy = policy()
        let started = ContinuousClock.now
        do {
            let removed = try await store.prune(policy)
            let elapsed = ContinuousClock.now - started
            let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            logger.log(
                level: removed > 0 ? .info : .debug,
                "history pruned",
                metadata: [
                    "removed": "\(removed)", "ms": "\(milliseconds)",
                    "maxAgeSeconds": "\(Int64(policy.maxAge))", "maxPerConversation": "\(policy.maxPerConversation)",
                ])
            return removed
        } catch {
            // Stopping: the step under way was cut short, which is no failure.
            if Task.isCancelled { return nil }
            logger.warning("history pruning failed, trying again at the next pass", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
