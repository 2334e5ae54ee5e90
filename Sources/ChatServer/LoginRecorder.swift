import ChatModel
import ChatStore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Stamps accounts' last-login time in batches: at most one write transaction per
/// `interval`, holding every login since the previous one. A write transaction per
/// login was about 4 % of a minimum-cost login's server CPU (half as much as its
/// look-up) and serialised every login on SQLite's single writer.
///
/// A stamp waits at most `interval` in memory. `shutdown()` writes what is pending, so
/// a clean stop loses nothing; a crash loses at most the last `interval` of stamps. The
/// stamp is bookkeeping shown by `chat-useradd list`: no login decision reads it.
final class LoginRecorder: Sendable {
    private struct State {
        /// The latest login of each account since the last write.
        var pending: [UserName: Date] = [:]
        var scheduledWrite: Scheduled<Void>?
        /// The batch being written. The next waits for it, so an older time never
        /// lands after a newer one.
        var writing: Task<Void, Never>?
        var stopped = false
    }

    private let accounts: any AccountStore
    private let interval: TimeAmount
    private let logger: Logger
    private let metrics: ServerMetrics?
    private let state = NIOLockedValueBox(State())

    init(accounts: any AccountStore, interval: TimeAmount = .seconds(1), logger: Logger, metrics: ServerMetrics? = nil) {
        self.accounts = accounts
        self.metrics = metrics
        self.interval = interval
        self.logger = logger
    }

    /// Notes that `user` logged in at `date`; the store hears of it within `interval`.
    /// `eventLoop` only times the write.
    func record(_ user: UserName, at date: Date = Date(), timingOn eventLoop: EventLoop) {
        state.withLockedValue { state in
            state.pending[user] = date
            guard state.scheduledWrite == nil, !state.stopped else { return }
            state.scheduledWrite = eventLoop.scheduleTask(in: interval) { [self] in
                startWrite()
            }
        }
    }

    /// Writes every pending stamp and stops. Call after the last `record`.
    func shutdown() async {
        let (scheduled, writing) = state.withLockedValue { state in
            state.stopped = true
            defer { state.scheduledWrite = nil }
            return (state.scheduledWrite, state.writing)
        }
        scheduled?.cancel()
        // After the batch already under way, take whatever that one did not.
        await writing?.value
        await writePending()
    }

    private func startWrite() {
        state.withLockedValue { state in
            state.scheduledWrite = nil
            guard !state.stopped else { return }
            let previous = state.writing
            state.writing = Task(executorPreference: EventLoopTaskExecutor.shared()) { [self] in
                await previous?.value
                await writePending()
            }
        }
    }

    private func writePending() async {
        let batch = state.withLockedValue { state in
            defer { state.pending = [:] }
            return state.pending
        }
        guard !batch.isEmpty else { return }
        do {
            try await metrics.timingLoginStamps { try await accounts.recordLogins(batch) }
        } catch {
            // As when each login wrote its own stamp: a failure costs the stamps, never a
            // login.
            logger.warning("could not record login times", metadata: ["users": "\(batch.count)", "error": "\(error)"])
        }
    }
}
