import ChatTLS
import Histogram
import NIOCore

/// `/history` through the server: one logged-in session asks for the last `page`
/// messages of `room` `queries` times, one at a time, and times each from the send to
/// its `OK history`: the store's read plus the round trip over TLS on loopback.
struct HistoryParameters: Sendable {
    var room: String
    var page: Int
    var queries: Int
    var setupTimeoutSeconds: Double
}

struct HistoryOutcome: Sendable {
    var parameters: HistoryParameters
    var sessionInfo: TLSSessionInfo?
    /// Microseconds from `/history` to `OK history`.
    var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var answered = 0
    var failures = FailureLog()
}

/// Loop-confined.
final class HistoryDriver {
    private let parameters: HistoryParameters
    private let loop: any EventLoop
    private let fleet: Fleet
    private let promise: EventLoopPromise<HistoryOutcome>
    private var outcome: HistoryOutcome
    private var sentAt: UInt64 = 0
    private var lines = 0
    private var finished = false

    static func run(_ parameters: HistoryParameters, target: BenchTarget, accounts: BenchAccounts, on loop: any EventLoop) async throws
        -> HistoryOutcome
    {
        try await loop.flatSubmit {
            HistoryDriver(parameters, target: target, accounts: accounts, loop: loop).start()
        }.get()
    }

    private init(_ parameters: HistoryParameters, target: BenchTarget, accounts: BenchAccounts, loop: any EventLoop) {
        self.parameters = parameters
        self.loop = loop
        self.fleet = Fleet(loop: loop, target: target, accounts: accounts)
        self.promise = loop.makePromise(of: HistoryOutcome.self)
        self.outcome = HistoryOutcome(parameters: parameters)
    }

    private func start() -> EventLoopFuture<HistoryOutcome> {
        fleet.onLine = { [unowned self] line, _ in received(line) }
        fleet.onLost = { [unowned self] _ in finish(BenchError("the session was lost: \(fleet.failures.examples.last ?? "")")) }
        fleet.open(count: 1, concurrency: 1).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success:
                outcome.sessionInfo = fleet.sessionInfo
                ask()
            case .failure(let error):
                finish(error)
            }
        }
        return promise.futureResult.assumeIsolated().flatMap { [self] outcome in
            fleet.closeAll().map { outcome }
        }.flatMapError { [self] error in
            fleet.closeAll().flatMapThrowing { throw error }
        }.nonisolated()
    }

    private func ask() {
        lines = 0
        sentAt = NIODeadline.now().uptimeNanoseconds
        fleet.send("/history \(parameters.room) \(parameters.page)", client: 0)
    }

    private func received(_ line: String) {
        if line.hasPrefix("HISTORY ") {
            lines += 1
            return
        }
        if line.hasPrefix("OK history ") {
            let micros = (NIODeadline.now().uptimeNanoseconds - sentAt) / 1000
            _ = outcome.latency.record(micros)
            outcome.answered += 1
            if lines != parameters.page {
                outcome.failures.record("\(lines) HISTORY lines, not \(parameters.page): \(line)")
            }
            return outcome.answered < parameters.queries ? ask() : finish(nil)
        }
        if line.hasPrefix("ERR ") {
            finish(BenchError("/history refused: \(line.prefix(100))"))
        }
    }

    private func finish(_ error: (any Error)?) {
        guard !finished else { return }
        finished = true
        if let error {
            promise.fail(error)
        } else {
            for example in fleet.failures.examples { outcome.failures.record(example) }
            promise.succeed(outcome)
        }
    }
}
