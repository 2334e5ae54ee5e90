import ChatProtocol
import ChatTLS
import Histogram
import NIOCore

/// Short connections, over and over, `concurrency` at a time: connect, full TLS
/// handshake (the server offers no resumption), the server's `HELLO`, and for
/// `login` a `/login` answered by `OK login`; then a clean close. Optionally a few
/// logged-in sessions `/ping` the server meanwhile, to show what the connection
/// churn does to people already chatting.
/// The busy answer's start, from the protocol's own code: the hot path compares
/// strings, not parsed events.
private let busyReply = "ERR \(ErrorCode.busy.rawValue)"

struct CycleParameters: Sendable {
    enum Kind: String, Sendable {
        case handshake
        case login
    }

    var kind: Kind
    var concurrency: Int
    var warmupSeconds: Double
    var durationSeconds: Double
    var pingers: Int
    var pingIntervalMilliseconds: Int
    var setupTimeoutSeconds: Double
}

struct CycleOutcome: Sendable {
    var parameters: CycleParameters
    var sessionInfo: TLSSessionInfo?
    /// Cycles that finished inside the measured window.
    var completed = 0
    var completedTotal = 0
    var busy = 0
    var failures = FailureLog()
    var measuredSeconds = 0.0
    var serverCPUSeconds: Double?
    var generatorCPUSeconds: Double?
    var rssKiB: Int?
    /// Microseconds from connect to HELLO (handshake) or to `OK login` (login).
    var latency: Histogram<UInt64>
    var pingsSent = 0
    var pingsAnswered = 0
    /// Round-trip microseconds of the pingers' `/ping`.
    var pingLatency: Histogram<UInt64>
    var unfinished = 0
}

/// Loop-confined driver of one cycle run.
final class CycleDriver: ClientEvents {
    private enum Phase {
        case connecting
        case awaitingHello
        case awaitingLogin
        case closing
    }

    private struct Attempt {
        var channel: (any Channel)?
        var phase: Phase
        let start: UInt64
    }

    private let parameters: CycleParameters
    private let target: BenchTarget
    private let accounts: BenchAccounts
    private let loop: any EventLoop
    private let probe: ServerProbe?
    private let pingers: Fleet
    private let promise: EventLoopPromise<CycleOutcome>
    private let allocator = ByteBufferAllocator()

    private var outcome: CycleOutcome
    private var attempts: [Int: Attempt] = [:]
    private var nextAttempt = 0
    private var running = false
    private var measureStart: UInt64 = .max
    private var measureEnd: UInt64 = .max
    private var startSample: ServerProbe.Sample?
    private var startOwnCPU: Double?

    static func run(_ parameters: CycleParameters, target: BenchTarget, accounts: BenchAccounts, probe: ServerProbe?, on loop: any EventLoop) async throws
        -> CycleOutcome
    {
        try await loop.flatSubmit {
            CycleDriver(parameters, target: target, accounts: accounts, probe: probe, loop: loop).start()
        }.get()
    }

    private init(_ parameters: CycleParameters, target: BenchTarget, accounts: BenchAccounts, probe: ServerProbe?, loop: any EventLoop) {
        self.parameters = parameters
        self.target = target
        self.accounts = accounts
        self.loop = loop
        self.probe = probe
        self.pingers = Fleet(loop: loop, target: target, accounts: accounts)
        self.promise = loop.makePromise(of: CycleOutcome.self)
        let histogram = Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
        self.outcome = CycleOutcome(parameters: parameters, latency: histogram, pingLatency: histogram)
    }

    private func start() -> EventLoopFuture<CycleOutcome> {
        pingers.onLine = { [unowned self] line, _ in pingAnswered(line) }
        pingers.open(count: parameters.pingers, concurrency: 16)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success:
                    waitForQuietServer(probe, on: loop) { [self] in begin() }
                case .failure(let error):
                    promise.fail(error)
                }
            }
        return promise.futureResult.assumeIsolated().flatMap { [self] outcome in
            pingers.closeAll().map { outcome }
        }.flatMapError { [self] error in
            pingers.closeAll().flatMapThrowing { throw error }
        }.nonisolated()
    }

    private func begin() {
        let now = NIODeadline.now().uptimeNanoseconds
        measureStart = now + UInt64(parameters.warmupSeconds * 1e9)
        measureEnd = measureStart + UInt64(parameters.durationSeconds * 1e9)
        running = true
        let isolated = loop.assumeIsolated()
        isolated.scheduleTask(deadline: .uptimeNanoseconds(measureStart)) { [self] in
            startSample = try? probe?.sample()
            startOwnCPU = try? ServerProbe.ownProcess.cpuSeconds()
        }
        isolated.scheduleTask(deadline: .uptimeNanoseconds(measureEnd)) { [self] in
            running = false
            outcome.measuredSeconds = Double(NIODeadline.now().uptimeNanoseconds - measureStart) / 1e9
            if let before = startSample, let after = try? probe?.sample() {
                outcome.serverCPUSeconds = after.cpuSeconds - before.cpuSeconds
                outcome.rssKiB = after.rssKiB
            }
            if let before = startOwnCPU, let after = try? ServerProbe.ownProcess.cpuSeconds() {
                outcome.generatorCPUSeconds = after - before
            }
            finishRun()
        }
        for _ in 0..<parameters.concurrency {
            launch()
        }
        if parameters.pingers > 0 {
            ping()
        }
    }

    private func finishRun() {
        waitFor({ [self] in attempts.isEmpty }, timeout: 10, on: loop) { [self] _ in
            outcome.unfinished = attempts.count
            for attempt in attempts.values { attempt.channel?.close(promise: nil) }
            outcome.failures = mergedFailures()
            promise.succeed(outcome)
        }
    }

    private var ownFailures = FailureLog()

    private func mergedFailures() -> FailureLog {
        var merged = ownFailures
        for example in pingers.failures.examples { merged.record("pinger \(example)") }
        return merged
    }

    // MARK: Cycles

    private func launch() {
        guard running else { return }
        let id = nextAttempt
        nextAttempt += 1
        attempts[id] = Attempt(channel: nil, phase: .connecting, start: NIODeadline.now().uptimeNanoseconds)
        let events = NIOLoopBound<any ClientEvents>(self, eventLoop: loop)
        BenchClient.connect(client: id, to: target, events: events, on: loop)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let channel):
                    if attempts[id] != nil {
                        attempts[id]?.channel = channel
                    }
                case .failure(let error):
                    failed(client: id, error: error)
                }
            }
    }

    /// The cycle reached its goal: count it, close, start the next one.
    private func succeed(_ id: Int) {
        guard let attempt = attempts[id] else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        outcome.completedTotal += 1
        if now >= measureStart, now < measureEnd {
            outcome.completed += 1
            _ = outcome.latency.record(min((now - attempt.start) / 1000, 120_000_000))
        }
        close(id)
        launch()
    }

    private func close(_ id: Int) {
        attempts[id]?.phase = .closing
        if let channel = attempts[id]?.channel {
            channel.close(promise: nil)
        } else {
            attempts[id] = nil
        }
    }

    func handshakeCompleted(client: Int, info: TLSSessionInfo) {
        if outcome.sessionInfo == nil { outcome.sessionInfo = info }
        if case .connecting = attempts[client]?.phase {
            attempts[client]?.phase = .awaitingHello
        }
    }

    func received(_ line: String, client: Int) {
        guard let phase = attempts[client]?.phase else { return }
        switch phase {
        case .awaitingHello:
            guard line.hasPrefix("HELLO ") else { return failed(client: client, error: BenchError("expected HELLO, got \(line.prefix(80))")) }
            switch parameters.kind {
            case .handshake:
                succeed(client)
            case .login:
                attempts[client]?.phase = .awaitingLogin
                attempts[client]?.channel?.writeAndFlush(
                    BenchClient.encode("/login \(accounts.name(forClient: client)) \(accounts.password)", allocator: allocator),
                    promise: nil
                )
            }
        case .awaitingLogin:
            if line.hasPrefix("OK login") {
                succeed(client)
            } else if line.hasPrefix(busyReply) {
                outcome.busy += 1
                close(client)
                launch()
            } else if line.hasPrefix("ERR ") {
                failed(client: client, error: BenchError("login refused: \(line.prefix(80))"))
            }
        case .connecting, .closing:
            break
        }
    }

    func failed(client: Int, error: any Error) {
        guard let attempt = attempts[client] else { return }
        if case .closing = attempt.phase { return }
        ownFailures.record("connection \(client): \(error)")
        close(client)
        relaunchAfterFailure()
    }

    /// A refused or broken connection is retried after a pause, so a server that is
    /// down costs a bounded number of attempts, not a busy loop.
    private func relaunchAfterFailure() {
        loop.assumeIsolated().scheduleTask(in: .milliseconds(10)) { [self] in launch() }
    }

    func closed(client: Int) {
        guard let attempt = attempts[client] else { return }
        attempts[client] = nil
        if case .closing = attempt.phase { return }
        ownFailures.record("connection \(client): server closed it early")
        relaunchAfterFailure()
    }

    // MARK: Pings

    private func ping() {
        guard running else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        for client in 0..<pingers.count {
            pingers.send("/ping \(now)", client: client)
            outcome.pingsSent += 1
        }
        loop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(parameters.pingIntervalMilliseconds))) { [self] in ping() }
    }

    private func pingAnswered(_ line: String) {
        guard line.hasPrefix("PONG "), let sent = UInt64(line.dropFirst(5)) else { return }
        outcome.pingsAnswered += 1
        let now = NIODeadline.now().uptimeNanoseconds
        if sent >= measureStart, sent < measureEnd, now > sent {
            _ = outcome.pingLatency.record(min((now - sent) / 1000, 120_000_000))
        }
    }
}
