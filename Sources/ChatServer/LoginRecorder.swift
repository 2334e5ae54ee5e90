import ChatModel
import ChatStore
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

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
    }

    private let store: UserStore
    private let interval: TimeAmount
    private let logger: Logger
    private let metrics: ServerMetrics?
    private let state = NIOLockedValueBox(State())
    /// The writes block on disk, so they stay off the event loops, and apart from the
    /// password checks so a login flood cannot hold a batch back.
    private let pool = NIOThreadPool(numberOfThreads: 1)

    init(store: UserStore, interval: TimeAmount = .seconds(1), logger: Logger, metrics: ServerMetrics? = nil) {
        self.store = store
        self.metrics = metrics
        self.interval = interval
        self.logger = logger
        pool.start()
    }

    /// Notes that `user` logged in at `date`; the store hears of it within `interval`.
    /// `eventLoop` only times the write.
    func record(_ user: UserName, at date: Date = Date(), timingOn eventLoop: EventLoop) {
        state.withLockedValue { state in
            state.pending[user] = date
            guard state.scheduledWrite == nil else { return }
            state.scheduledWrite = eventLoop.scheduleTask(in: interval) { [self] in
                pool.submit { [self] work in
                    guard case .active = work else { return }
                    writePending()
                }
            }
        }
    }

    /// Writes every pending stamp and stops. Call after the last `record`.
    func shutdown() async {
        let scheduled = state.withLockedValue { state in
            defer { state.scheduledWrite = nil }
            return state.scheduledWrite
        }
        scheduled?.cancel()
        // The pool runs work in order: this comes after any batch already handed over,
        // and takes whatever that one did not.
        do {
            try await pool.runIfActive { [self] in writePending() }
        } catch {
            writePending()
        }
        try? await pool.shutdownGracefully()
    }

    private func writePending() {
        let batch = state.withLockedValue { state in
            state.scheduledWrite = nil
            defer { state.pending = [:] }
            return state.pending
        }
        guard !batch.isEmpty else { return }
        do {
            try metrics.timingLoginStamps { try store.recordLogins(batch) }
        } catch {
            // As when each login wrote its own stamp: a failure costs the stamps, never a
            // login.
            logger.warning("could not record login times", metadata: ["users": "\(batch.count)", "error": "\(error)"])
        }
    }
}
