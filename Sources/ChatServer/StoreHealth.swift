import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// Tells the operator when messages stop being stored (a full or read-only disk) and
/// when they are stored again, without one line per refused message: the first
/// failure is logged at once, later ones at most every `interval` with how many were
/// refused meanwhile, and the first success after failures says so.
///
/// The senders learn of each refusal themselves (`ERR not-stored`); this is for the
/// person who has to free the space.
final class StoreHealth: Sendable {
    private struct Failures {
        var refused = 0
        var sinceReport = 0
        var lastReport: NIODeadline?
    }

    private let logger: Logger
    private let interval: TimeAmount
    /// Read on every stored message: one relaxed load while all is well.
    private let failing = Atomic<Bool>(false)
    private let failures = NIOLockedValueBox(Failures())

    init(logger: Logger, interval: TimeAmount = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    /// A message could not be stored (and so was not sent).
    func refused(_ error: any Error) {
        failing.store(true, ordering: .relaxed)
        let now = NIODeadline.now()
        let report = failures.withLockedValue { failures -> Int? in
            failures.refused += 1
            failures.sinceReport += 1
            if let last = failures.lastReport, now - last < interval { return nil }
            failures.lastReport = now
            defer { failures.sinceReport = 0 }
            return failures.sinceReport
        }
        if let report {
            logger.error(
                "messages are not being stored, so not sent; their senders get ERR not-stored",
                metadata: ["refused": "\(report)", "error": "\(error)"])
        }
    }

    /// A message was stored.
    func stored() {
        guard failing.load(ordering: .relaxed), failing.exchange(false, ordering: .relaxed) else { return }
        let refused = failures.withLockedValue { failures in
            defer { failures = Failures() }
            return failures.refused
        }
        logger.notice("messages are stored again", metadata: ["refusedMeanwhile": "\(refused)"])
    }
}
