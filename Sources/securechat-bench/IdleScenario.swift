import ChatTLS
import NIOCore

/// N logged-in connections that then say nothing: what each one costs the server in
/// resident memory. Each session joins a room of `roomSize` people and leaves
/// `#lobby`, like people spread over many rooms; a single 10,000-member lobby would
/// instead measure 50 million `JOIN` notices.
struct IdleParameters: Sendable {
    var connections: Int
    /// False: connections stop after the handshake and `HELLO` (TLS and session
    /// cost without any chat state).
    var logIn: Bool
    var roomSize: Int
    var connectConcurrency: Int
    var holdSeconds: Double
    var setupTimeoutSeconds: Double
}

struct IdleOutcome: Sendable {
    var parameters: IdleParameters
    var sessionInfo: TLSSessionInfo?
    var rssBeforeKiB: Int?
    var rssAfterKiB: Int?
    /// After `holdSeconds` more of idling.
    var rssHeldKiB: Int?
    var setupSeconds = 0.0
    var setupServerCPUSeconds: Double?
    var failures = FailureLog()

    var kibPerConnection: Double? {
        guard let before = rssBeforeKiB, let after = rssHeldKiB ?? rssAfterKiB, parameters.connections > 0 else { return nil }
        return Double(after - before) / Double(parameters.connections)
    }
}

enum IdleScenario {
    static func run(_ parameters: IdleParameters, target: BenchTarget, accounts: BenchAccounts, probe: ServerProbe?, on loop: any EventLoop) async throws
        -> IdleOutcome
    {
        try await loop.flatSubmit {
            let promise = loop.makePromise(of: IdleOutcome.self)
            var outcome = IdleOutcome(parameters: parameters)
            let fleet = Fleet(loop: loop, target: target, accounts: accounts, logsIn: parameters.logIn) { client in
                ["/join #idle\(client / max(1, parameters.roomSize))", "/leave #lobby"]
            }
            waitForQuietServer(probe, on: loop) {
                let before = try? probe?.sample()
                outcome.rssBeforeKiB = before?.rssKiB
                let start = NIODeadline.now()
                let deadline = loop.assumeIsolated().scheduleTask(in: .fractionalSeconds(parameters.setupTimeoutSeconds)) {
                    promise.fail(
                        BenchError("setup took longer than \(parameters.setupTimeoutSeconds) s (\(fleet.readyCount) of \(parameters.connections) ready)"))
                }
                fleet.open(count: parameters.connections, concurrency: parameters.connectConcurrency)
                    .assumeIsolated()
                    .whenComplete { result in
                        deadline.cancel()
                        if case .failure(let error) = result {
                            return promise.fail(error)
                        }
                        outcome.setupSeconds = seconds(since: start)
                        waitForQuietServer(probe, on: loop) {
                            let after = try? probe?.sample()
                            outcome.rssAfterKiB = after?.rssKiB
                            if let before, let after {
                                outcome.setupServerCPUSeconds = after.cpuSeconds - before.cpuSeconds
                            }
                            loop.assumeIsolated().scheduleTask(in: .fractionalSeconds(parameters.holdSeconds)) {
                                outcome.rssHeldKiB = try? probe?.rssKiB()
                                outcome.sessionInfo = fleet.sessionInfo
                                outcome.failures = fleet.failures
                                promise.succeed(outcome)
                            }
                        }
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
