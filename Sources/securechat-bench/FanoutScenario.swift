import ChatTLS
import Histogram
import NIOCore

/// N clients in one room, S of them sending; every client checks every message.
///
/// Two modes:
/// - `rate`: the senders together send R messages a second on a fixed schedule, and
///   each message carries its *scheduled* send time, so a generator that falls
///   behind shows up as latency instead of hiding it (no coordinated omission).
/// - `fast`: each sender keeps at most `window` messages in flight (sent but not yet
///   received by every other member) and sends again as soon as half the window has
///   drained: the server is driven as hard as it can take.
struct FanoutParameters: Sendable {
    enum Mode: Sendable {
        case rate(messagesPerSecond: Double)
        case fast(window: Int)
    }

    var clients: Int
    var senders: Int
    var mode: Mode
    var warmupSeconds: Double
    var durationSeconds: Double
    var drainTimeoutSeconds: Double
    var payloadBytes: Int
    var connectConcurrency: Int
    var setupTimeoutSeconds: Double
}

struct FanoutOutcome: Sendable {
    var parameters: FanoutParameters
    var sessionInfo: TLSSessionInfo?
    var setupSeconds: Double
    var joinNotices: Int
    var joinNoticesExpected: Int
    var sent = 0
    var expectedDeliveries = 0
    var delivered = 0
    var duplicates = 0
    var outOfOrder = 0
    var otherLines = 0
    var failures = FailureLog()
    /// Deliveries received while the server's CPU was being measured.
    var measuredDeliveries = 0
    var measuredSeconds = 0.0
    var serverCPUSeconds: Double?
    /// The generator's own CPU time over the same window: near 100 % of a core means
    /// the generator, not the server, set the pace.
    var generatorCPUSeconds: Double?
    var rssKiB: Int?
    /// Microseconds from (scheduled) send to receipt, for messages sent in the
    /// measured window.
    var latency: Histogram<UInt64>
    var drained = false

    var missing: Int { max(0, expectedDeliveries - (delivered - duplicates)) }
}

/// Runs one fan-out on the generator's event loop. Loop-confined.
final class FanoutDriver {
    private let parameters: FanoutParameters
    private let loop: any EventLoop
    private let probe: ServerProbe?
    private let fleet: Fleet
    private let allocator = ByteBufferAllocator()
    private let promise: EventLoopPromise<FanoutOutcome>

    private var outcome: FanoutOutcome
    private var sending = false
    private var measureStart: UInt64 = 0
    private var measureEnd: UInt64 = .max
    private var startNanoseconds: UInt64 = 0
    private var sentBy: [Int]
    private var deliveredFrom: [Int]
    private var blocked: [Bool]
    /// Next expected sequence number, indexed by receiver * senders + sender.
    private var nextSequence: [Int]
    private var measureStartDelivered = 0
    private var measureStartSample: ServerProbe.Sample?
    private var measureStartOwnCPU: Double?
    private var setupStart = NIODeadline.now()
    private var finished = false

    static func run(_ parameters: FanoutParameters, target: BenchTarget, accounts: BenchAccounts, probe: ServerProbe?, on loop: any EventLoop) async throws -> FanoutOutcome {
        try await loop.flatSubmit {
            FanoutDriver(parameters, target: target, accounts: accounts, probe: probe, loop: loop).start()
        }.get()
    }

    private init(_ parameters: FanoutParameters, target: BenchTarget, accounts: BenchAccounts, probe: ServerProbe?, loop: any EventLoop) {
        precondition(parameters.senders >= 1 && parameters.senders <= parameters.clients && parameters.clients >= 2)
        self.parameters = parameters
        self.loop = loop
        self.probe = probe
        self.fleet = Fleet(loop: loop, target: target, accounts: accounts)
        self.promise = loop.makePromise(of: FanoutOutcome.self)
        let n = parameters.clients
        self.outcome = FanoutOutcome(
            parameters: parameters,
            setupSeconds: 0,
            joinNotices: 0,
            joinNoticesExpected: n * (n - 1) / 2,
            latency: Histogram<UInt64>(highestTrackableValue: Self.maxLatencyMicroseconds, numberOfSignificantValueDigits: .three)
        )
        sentBy = Array(repeating: 0, count: parameters.senders)
        deliveredFrom = Array(repeating: 0, count: parameters.senders)
        blocked = Array(repeating: false, count: parameters.senders)
        nextSequence = Array(repeating: 0, count: n * parameters.senders)
    }

    private static let maxLatencyMicroseconds: UInt64 = 120_000_000

    private func start() -> EventLoopFuture<FanoutOutcome> {
        setupStart = .now()
        fleet.onLine = { [unowned self] line, client in received(line, client: client) }
        fleet.onLost = { [unowned self] client in
            abort(BenchError("client \(client) lost its connection during the run: \(fleet.failures.examples.last ?? "")"))
        }
        let setupDeadline = loop.assumeIsolated().scheduleTask(in: .fractionalSeconds(parameters.setupTimeoutSeconds)) { [self] in
            abort(BenchError("setup took longer than \(parameters.setupTimeoutSeconds) s (\(fleet.readyCount) of \(parameters.clients) sessions ready, \(fleet.joinNotices) JOIN notices)"))
        }
        fleet.open(count: parameters.clients, concurrency: parameters.connectConcurrency)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success:
                    // Everyone is in the room once every member has seen each later
                    // member's JOIN: n(n-1)/2 notices in all. Only then is the server idle.
                    waitFor({ [self] in fleet.joinNotices >= outcome.joinNoticesExpected }, timeout: parameters.setupTimeoutSeconds, on: loop) { [self] _ in
                        setupDeadline.cancel()
                        outcome.setupSeconds = seconds(since: setupStart)
                        outcome.joinNotices = fleet.joinNotices
                        waitForQuietServer(probe, on: loop) { [self] in beginSending() }
                    }
                case .failure(let error):
                    setupDeadline.cancel()
                    abort(error)
                }
            }
        return promise.futureResult.assumeIsolated().flatMap { [self] outcome in
            fleet.closeAll().map { outcome }
        }.flatMapError { [self] error in
            fleet.closeAll().flatMapThrowing { throw error }
        }.nonisolated()
    }

    // MARK: Sending

    private func beginSending() {
        let begin = NIODeadline.now() + .milliseconds(20)
        startNanoseconds = begin.uptimeNanoseconds
        measureStart = startNanoseconds + UInt64(parameters.warmupSeconds * 1e9)
        measureEnd = measureStart + UInt64(parameters.durationSeconds * 1e9)
        sending = true
        let isolated = loop.assumeIsolated()
        isolated.scheduleTask(deadline: .uptimeNanoseconds(measureStart)) { [self] in
            measureStartDelivered = outcome.delivered
            measureStartSample = try? probe?.sample()
            measureStartOwnCPU = try? ServerProbe.ownProcess.cpuSeconds()
        }
        isolated.scheduleTask(deadline: .uptimeNanoseconds(measureEnd)) { [self] in
            sending = false
            outcome.measuredDeliveries = outcome.delivered - measureStartDelivered
            outcome.measuredSeconds = Double(NIODeadline.now().uptimeNanoseconds - measureStart) / 1e9
            if let before = measureStartSample, let after = try? probe?.sample() {
                outcome.serverCPUSeconds = after.cpuSeconds - before.cpuSeconds
                outcome.rssKiB = after.rssKiB
            }
            if let before = measureStartOwnCPU, let after = try? ServerProbe.ownProcess.cpuSeconds() {
                outcome.generatorCPUSeconds = after - before
            }
            drain()
        }
        for sender in 0..<parameters.senders {
            switch parameters.mode {
            case .fast:
                isolated.scheduleTask(deadline: begin) { [self] in pumpFast(sender) }
            case .rate:
                isolated.scheduleTask(deadline: .uptimeNanoseconds(scheduledTime(sender, 0))) { [self] in pumpRate(sender) }
            }
        }
    }

    /// In `fast` mode: deliveries of `sender`'s messages still owed to receivers.
    private func outstanding(_ sender: Int) -> Int {
        sentBy[sender] * (parameters.clients - 1) - deliveredFrom[sender]
    }

    private func pumpFast(_ sender: Int) {
        guard sending, case .fast(let window) = parameters.mode else { return }
        let limit = window * (parameters.clients - 1)
        var buffer = allocator.buffer(capacity: 128 * window)
        while outstanding(sender) < limit {
            let stamp = MessageStamp(sender: sender, sequence: sentBy[sender], sentNanoseconds: NIODeadline.now().uptimeNanoseconds)
            stamp.write(to: &buffer, payloadBytes: parameters.payloadBytes)
            sentBy[sender] += 1
        }
        blocked[sender] = true
        if buffer.readableBytes > 0 {
            fleet.write(buffer, client: sender)
        }
    }

    /// Message `index` of `sender` is due at a fixed time; senders are staggered.
    private func scheduledTime(_ sender: Int, _ index: Int) -> UInt64 {
        guard case .rate(let rate) = parameters.mode else { return 0 }
        let offset = (Double(sender) + Double(index) * Double(parameters.senders)) / rate
        return startNanoseconds + UInt64(offset * 1e9)
    }

    private func pumpRate(_ sender: Int) {
        guard sending else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        var buffer = allocator.buffer(capacity: 128)
        var due = scheduledTime(sender, sentBy[sender])
        while due <= now, due < measureEnd {
            MessageStamp(sender: sender, sequence: sentBy[sender], sentNanoseconds: due)
                .write(to: &buffer, payloadBytes: parameters.payloadBytes)
            sentBy[sender] += 1
            due = scheduledTime(sender, sentBy[sender])
        }
        if buffer.readableBytes > 0 {
            fleet.write(buffer, client: sender)
        }
        if due < measureEnd {
            loop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(due)) { [self] in pumpRate(sender) }
        }
    }

    // MARK: Receiving

    private func received(_ line: String, client: Int) {
        guard let stamp = MessageStamp.parse(messageLine: line), stamp.sender < parameters.senders else {
            outcome.otherLines += 1
            return
        }
        let now = NIODeadline.now().uptimeNanoseconds
        outcome.delivered += 1
        deliveredFrom[stamp.sender] += 1
        let slot = client * parameters.senders + stamp.sender
        let expected = nextSequence[slot]
        if stamp.sequence == expected {
            nextSequence[slot] = expected + 1
        } else if stamp.sequence > expected {
            outcome.outOfOrder += 1
            nextSequence[slot] = stamp.sequence + 1
        } else {
            outcome.duplicates += 1
        }
        if stamp.sentNanoseconds >= measureStart, stamp.sentNanoseconds < measureEnd {
            let micros = now > stamp.sentNanoseconds ? (now - stamp.sentNanoseconds) / 1000 : 0
            _ = outcome.latency.record(min(micros, Self.maxLatencyMicroseconds))
        }
        if case .fast(let window) = parameters.mode, blocked[stamp.sender], sending,
            outstanding(stamp.sender) <= (window / 2) * (parameters.clients - 1)
        {
            blocked[stamp.sender] = false
            let sender = stamp.sender
            loop.assumeIsolated().execute { [self] in pumpFast(sender) }
        }
    }

    // MARK: Ending

    private func drain() {
        outcome.sent = sentBy.reduce(0, +)
        outcome.expectedDeliveries = outcome.sent * (parameters.clients - 1)
        waitFor({ [self] in outcome.delivered - outcome.duplicates >= outcome.expectedDeliveries }, timeout: parameters.drainTimeoutSeconds, on: loop) { [self] drained in
            guard !finished else { return }
            finished = true
            outcome.drained = drained
            outcome.failures = fleet.failures
            promise.succeed(outcome)
        }
    }

    private func abort(_ error: any Error) {
        sending = false
        guard !finished else { return }
        finished = true
        promise.fail(error)
    }
}
