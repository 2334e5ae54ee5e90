import ChatTLS
import NIOCore

/// Issue 11's reconnect storm: N accounts, each a member of `#lobby`, log in at once,
/// `concurrency` at a time, as after a server restart or a network coming back. Each
/// connection is a different account. Measured: the time from the first connect until
/// every session has its `OK login`, and the server's CPU meanwhile. With membership
/// in the store a login tells nobody, so the work grows with N, not with N² `JOIN`
/// notices.
struct StormParameters: Sendable {
    var connections: Int
    var concurrency: Int
    var setupTimeoutSeconds: Double
}

struct StormOutcome: Sendable {
    var parameters: StormParameters
    var sessionInfo: TLSSessionInfo?
    var readySeconds = 0.0
    var serverCPUSeconds: Double?
    /// The generator's own CPU over the same time: near 100 % of a core means the
    /// generator, not the server, set the pace.
    var generatorCPUSeconds: Double?
    var joinNotices = 0
    var failures = FailureLog()
}

enum StormScenario {
    static func run(_ parameters: StormParameters, target: BenchTarget, accounts: BenchAccounts, probe: ServerProbe?, on loop: any EventLoop) async throws
        -> StormOutcome
    {
        try await loop.flatSubmit {
            let promise = loop.makePromise(of: StormOutcome.self)
            var outcome = StormOutcome(parameters: parameters)
            let fleet = Fleet(loop: loop, target: target, accounts: accounts)
            waitForQuietServer(probe, on: loop) {
                let before = try? probe?.cpuSeconds()
                let ownBefore = try? ServerProbe.ownProcess.cpuSeconds()
                let start = NIODeadline.now()
                let deadline = loop.assumeIsolated().scheduleTask(in: .fractionalSeconds(parameters.setupTimeoutSeconds)) {
                    promise.fail(
                        BenchError(
                            "only \(fleet.readyCount) of \(parameters.connections) ready after \(parameters.setupTimeoutSeconds) s"))
                }
                fleet.open(count: parameters.connections, concurrency: parameters.concurrency)
                    .assumeIsolated()
                    .whenComplete { result in
                        deadline.cancel()
                        if case .failure(let error) = result {
                            return promise.fail(error)
                        }
                        outcome.readySeconds = seconds(since: start)
                        if let before, let after = try? probe?.cpuSeconds() {
                            outcome.serverCPUSeconds = after - before
                        }
                        if let ownBefore, let ownAfter = try? ServerProbe.ownProcess.cpuSeconds() {
                            outcome.generatorCPUSeconds = ownAfter - ownBefore
                        }
                        outcome.sessionInfo = fleet.sessionInfo
                        outcome.joinNotices = fleet.joinNotices
                        outcome.failures = fleet.failures
                        promise.succeed(outcome)
                    }
            }
            return promise.futureResult.assumeIsolated().flatMap { outcome in
                fleet.closeAll().map { outcome }
            }.flatMapError { error in
                fleet.closeAll().flatMapThrowing { throw error }
            }.nonisolated()
        }.get()
    }
}
