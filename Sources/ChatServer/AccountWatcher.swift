import ChatStore
import Logging
import NIOCore

/// Ends the sessions of accounts that were locked, deleted, re-created or given a new
/// password, whoever made the change: `chat-useradd` is another process and sends no
/// signal, so the server reads the store's change feed every `interval`.
///
/// A poll is one indexed range read that usually finds nothing. The feed reports
/// each changed account's status *now*, so reading an entry twice, or from the start
/// after a failure, never ends a session that is still entitled to run.
final class AccountWatcher: Sendable {
    /// Feed entries older than this are pruned at start: every running server reads
    /// the feed every second or so, and a restarted one has no sessions to end.
    static let feedRetention: Double = 86_400

    private let directory: AccountDirectory
    private let hub: Hub
    private let eventLoop: EventLoop
    private let interval: TimeAmount
    private let logger: Logger
    private let position: NIOLoopBoundBox<Int64>
    private let task: NIOLoopBoundBox<RepeatedTask?>

    init(directory: AccountDirectory, hub: Hub, eventLoop: EventLoop, interval: TimeAmount, logger: Logger) {
        self.directory = directory
        self.hub = hub
        self.eventLoop = eventLoop
        self.interval = interval
        self.logger = logger
        self.position = .makeBoxSendingValue(0, eventLoop: eventLoop)
        self.task = .makeEmptyBox(valueType: RepeatedTask.self, eventLoop: eventLoop)
    }

    /// Starts from the feed's newest entry: changes from before the server started
    /// concern no session of this one.
    func start() async {
        let latest: Int64
        do {
            latest = try await directory.prepareAccountChangeFeed(keeping: Self.feedRetention, on: eventLoop).get()
        } catch {
            // Reading from the start is merely slower (statuses are current, see above).
            logger.warning("cannot read the account change feed; starting from its beginning", metadata: ["error": "\(error)"])
            latest = 0
        }
        try? await eventLoop.submit { [self] in
            position.value = latest
            task.value = eventLoop.scheduleRepeatedAsyncTask(initialDelay: interval, delay: interval) { [self] _ in
                poll()
            }
        }.get()
    }

    func stop() async {
        try? await eventLoop.submit { [self] in
            task.value?.cancel()
            task.value = nil
        }.get()
    }

    private func poll() -> EventLoopFuture<Void> {
        hub.forgetOldChanges()
        return directory.accountChanges(after: position.value, on: eventLoop).map { [self] changes in
            guard let last = changes.last else { return }
            position.value = last.sequence
            // Several changes to one account in a poll: its status now is all that counts.
            var latest: [AccountID: AccountStatus] = [:]
            for change in changes {
                latest[change.account] = change.status
            }
            for (account, status) in latest {
                logger.debug("account changed", metadata: ["account": "\(account)", "status": "\(status)"])
                hub.credentialsChanged(account, status)
            }
        }.recover { [logger] error in
            // A busy or failing disk: try again next time, nothing is lost.
            logger.warning("reading the account change feed failed", metadata: ["error": "\(error)"])
        }
    }
}
