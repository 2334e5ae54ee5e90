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
///
/// With `messages`, sending stops after that many messages (all senders together) and
/// the run ends when every delivery has arrived, not after a duration. With `stalled`,
/// that many more clients join the room and then never read (autoRead off, a 4 KiB
/// SO_RCVBUF): the server should cut them off while everybody else gets everything.
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
    /// Total messages to send (all senders); nil: send for `durationSeconds`.
    var messages: Int? = nil
    /// Extra room members that stop reading once everybody is in the room.
    var stalled = 0

    /// SO_RCVBUF of a stalled client's socket.
    static let stalledReceiveBufferBytes = 4096
}

struct FanoutOutcome: Sendable {
    var parameters: FanoutParameters
    var sessionInfo: TLSSessionInfo?
    var setupSeconds: Double
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
    /// Stalled clients the server closed (seen once they read again, or before).
    var stalledDisconnected = 0
    /// Stalled clients still connected after reading again for a while.
    var stalledStillOpen = 0
    /// Most messages any stalled client received in all (when it read again).
    var stalledMostReceived = 0
    /// Server VmRSS (KiB) when sending began, the highest of a 100 ms sampling while
    /// sending and draining, and at the end (after the stalled clients were checked).
    var rssBeforeKiB: Int?
    var rssPeakKiB: Int?
    var rssAfterKiB: Int?

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
    private var sendingDeadline: Scheduled<Void>?
    private var sampling = false
    private var lastDeliveryNanoseconds: UInt64 = 0
    /// Messages each stalled client received, indexed by client - clients.
    private var stalledReceived: [Int]
    private var totalClients: Int { parameters.clients + parameters.stalled }
    private var totalSent = 0

    static func run(_ parameters: FanoutParameters, target: BenchTarget, accounts: BenchAccounts, probe: ServerProbe?, on loop: any EventLoop) async throws
        -> FanoutOutcome
    {
        try await loop.flatSubmit {
            FanoutDriver(parameters, target: target, accounts: accounts, probe: probe, loop: loop).start()
        }.get()
    }

    private init(_ parameters: FanoutParameters, target: BenchTarget, accounts: BenchAccounts, probe: ServerProbe?, loop: any EventLoop) {
        precondition(parameters.senders >= 1 && parameters.senders <= parameters.clients && parameters.clients >= 2)
        self.parameters = parameters
        self.loop = loop
        self.probe = probe
        // Membership belongs to the account: a bench account is in #lobby from its
        // creation, and the join makes sure of it should an earlier run have left.
        self.fleet = Fleet(loop: loop, target: target, accounts: accounts) { _ in ["/join #lobby"] }
        self.promise = loop.makePromise(of: FanoutOutcome.self)
        self.outcome = FanoutOutcome(
            parameters: parameters,
            setupSeconds: 0,
            latency: Histogram<UInt64>(highestTrackableValue: Self.maxLatencyMicroseconds, numberOfSignificantValueDigits: .three)
        )
        sentBy = Array(repeating: 0, count: parameters.senders)
        deliveredFrom = Array(repeating: 0, count: parameters.senders)
        blocked = Array(repeating: false, count: parameters.senders)
        nextSequence = Array(repeating: 0, count: parameters.clients * parameters.senders)
        stalledReceived = Array(repeating: 0, count: parameters.stalled)
    }

    private static let maxLatencyMicroseconds: UInt64 = 120_000_000

    private func start() -> EventLoopFuture<FanoutOutcome> {
        setupStart = .now()
        fleet.onLine = { [unowned self] line, client in received(line, client: client) }
        let normalClients = parameters.clients
        fleet.receiveBufferBytes = { client in client >= normalClients ? FanoutParameters.stalledReceiveBufferBytes : nil }
        fleet.mayBeCutOff = { client in client >= normalClients }
        fleet.onLost = { [unowned self] client in
            if client >= parameters.clients {
                outcome.stalledDisconnected += 1
                return
            }
            abort(BenchError("client \(client) lost its connection during the run: \(fleet.failures.examples.last ?? "")"))
        }
        let setupDeadline = loop.assumeIsolated().scheduleTask(in: .fractionalSeconds(parameters.setupTimeoutSeconds)) { [self] in
            abort(
                BenchError(
                    "setup took longer than \(parameters.setupTimeoutSeconds) s (\(fleet.readyCount) of \(totalClients) sessions ready)"
                ))
        }
        fleet.open(count: totalClients, concurrency: parameters.connectConcurrency)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success:
                    // Everyone is in the room once every session is ready: logins and
                    // joins of members tell nobody, so nothing else is left to arrive.
                    setupDeadline.cancel()
                    outcome.setupSeconds = seconds(since: setupStart)
                    // Everybody is in the room: the stalled clients stop reading now.
                    for client in parameters.clients..<totalClients {
                        fleet.setAutoRead(false, client: client)
                    }
                    waitForQuietServer(probe, on: loop) { [self] in beginSending() }
                case .failure(let error):
                    setupDeadline.cancel()
                    abort(error)
                }
            }
        return promise.futureResult.assumeIsolated().flatMap { [self] outcome in
            stopSampling()
            return fleet.closeAll().map { outcome }
        }.flatMapError { [self] error in
            stopSampling()
            return fleet.closeAll().flatMapThrowing { throw error }
        }.nonisolated()
    }

    // MARK: Sending

    private func beginSending() {
        let begin = NIODeadline.now() + .milliseconds(20)
        startNanoseconds = begin.uptimeNanoseconds
        // With a message count, everything is measured (no warmup), and the duration
        // only bounds how long sending may take.
        let warmup = parameters.messages == nil ? parameters.warmupSeconds : 0
        measureStart = startNanoseconds + UInt64(warmup * 1e9)
        measureEnd = measureStart + UInt64(parameters.durationSeconds * 1e9)
        sending = true
        startSampling()
        let isolated = loop.assumeIsolated()
        isolated.scheduleTask(deadline: .uptimeNanoseconds(measureStart)) { [self] in
            measureStartDelivered = outcome.delivered
            measureStartSample = try? probe?.sample()
            measureStartOwnCPU = try? ServerProbe.ownProcess.cpuSeconds()
        }
        sendingDeadline = isolated.scheduleTask(deadline: .uptimeNanoseconds(measureEnd)) { [self] in
            if parameters.messages != nil {
                outcome.failures.record("only \(totalSent) of \(parameters.messages ?? 0) messages sent within \(parameters.durationSeconds) s")
            }
            stopSending()
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

    /// Sending is over: by the clock, or because `messages` have been sent.
    private func stopSending() {
        guard sending else { return }
        sending = false
        sendingDeadline?.cancel()
        if parameters.messages == nil {
            endMeasurement(at: NIODeadline.now().uptimeNanoseconds)
        }
        drain()
    }

    private func endMeasurement(at end: UInt64) {
        outcome.measuredDeliveries = outcome.delivered - measureStartDelivered
        outcome.measuredSeconds = Double(max(end, measureStart) - measureStart) / 1e9
        if let before = measureStartSample, let after = try? probe?.sample() {
            outcome.serverCPUSeconds = after.cpuSeconds - before.cpuSeconds
            outcome.rssKiB = after.rssKiB
        }
        if let before = measureStartOwnCPU, let after = try? ServerProbe.ownProcess.cpuSeconds() {
            outcome.generatorCPUSeconds = after - before
        }
    }

    /// Messages still allowed by `messages` (Int.max without it).
    private var messagesLeft: Int {
        parameters.messages.map { $0 - totalSent } ?? .max
    }

    /// In `fast` mode: deliveries of `sender`'s messages still owed to receivers.
    private func outstanding(_ sender: Int) -> Int {
        sentBy[sender] * (parameters.clients - 1) - deliveredFrom[sender]
    }

    private func pumpFast(_ sender: Int) {
        guard sending, case .fast(let window) = parameters.mode else { return }
        let limit = window * (parameters.clients - 1)
        var buffer = allocator.buffer(capacity: 128 * window)
        while outstanding(sender) < limit, messagesLeft > 0 {
            let stamp = MessageStamp(sender: sender, sequence: sentBy[sender], sentNanoseconds: NIODeadline.now().uptimeNanoseconds)
            stamp.write(to: &buffer, payloadBytes: parameters.payloadBytes)
            sentBy[sender] += 1
            totalSent += 1
        }
        blocked[sender] = true
        if buffer.readableBytes > 0 {
            fleet.write(buffer, client: sender)
        }
        if messagesLeft <= 0 {
            stopSending()
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
        while due <= now, due < measureEnd, messagesLeft > 0 {
            MessageStamp(sender: sender, sequence: sentBy[sender], sentNanoseconds: due)
                .write(to: &buffer, payloadBytes: parameters.payloadBytes)
            sentBy[sender] += 1
            totalSent += 1
            due = scheduledTime(sender, sentBy[sender])
        }
        if buffer.readableBytes > 0 {
            fleet.write(buffer, client: sender)
        }
        if messagesLeft <= 0 {
            return stopSending()
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
        if client >= parameters.clients {
            // A stalled client reading again at the end: counted apart.
            stalledReceived[client - parameters.clients] += 1
            return
        }
        let now = NIODeadline.now().uptimeNanoseconds
        lastDeliveryNanoseconds = now
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
        waitFor({ [self] in outcome.delivered - outcome.duplicates >= outcome.expectedDeliveries }, timeout: parameters.drainTimeoutSeconds, on: loop) {
            [self] drained in
            guard !finished else { return }
            outcome.drained = drained
            if parameters.messages != nil {
                endMeasurement(at: drained ? lastDeliveryNanoseconds : NIODeadline.now().uptimeNanoseconds)
            }
            checkStalled { [self] in
                guard !finished else { return }
                finished = true
                stopSampling()
                outcome.rssAfterKiB = try? probe?.rssKiB()
                let ownFailures = outcome.failures
                outcome.failures = fleet.failures
                for example in ownFailures.examples { outcome.failures.record(example) }
                promise.succeed(outcome)
            }
        }
    }

    /// The stalled clients read again: one the server cut off reaches end of file (or
    /// a reset) after whatever the kernel still held; one it kept gets every message.
    /// Waits until each is closed or has everything, at most `drainTimeoutSeconds`.
    private func checkStalled(then: @escaping () -> Void) {
        guard parameters.stalled > 0 else { return then() }
        let stalled = parameters.clients..<totalClients
        for client in stalled {
            fleet.setAutoRead(true, client: client)
        }
        let sent = outcome.sent
        waitFor(
            { [self] in
                stalled.allSatisfy { !fleet.isOpen($0) || stalledReceived[$0 - parameters.clients] >= sent }
            }, timeout: parameters.drainTimeoutSeconds, on: loop
        ) { [self] _ in
            outcome.stalledStillOpen = stalled.filter { fleet.isOpen($0) }.count
            outcome.stalledMostReceived = stalledReceived.max() ?? 0
            then()
        }
    }

    // MARK: Server memory

    /// Samples the server's VmRSS every 100 ms from the start of sending to the end.
    private func startSampling() {
        guard let probe else { return }
        outcome.rssBeforeKiB = try? probe.rssKiB()
        outcome.rssPeakKiB = outcome.rssBeforeKiB
        sampling = true
        sampleRSS(probe)
    }

    private func sampleRSS(_ probe: ServerProbe) {
        loop.assumeIsolated().scheduleTask(in: .milliseconds(100)) { [self] in
            guard sampling else { return }
            if let rss = try? probe.rssKiB() {
                outcome.rssPeakKiB = max(outcome.rssPeakKiB ?? 0, rss)
            }
            sampleRSS(probe)
        }
    }

    private func stopSampling() {
        guard sampling else { return }
        sampling = false
        if let probe, let rss = try? probe.rssKiB() {
            outcome.rssPeakKiB = max(outcome.rssPeakKiB ?? 0, rss)
        }
    }

    private func abort(_ error: any Error) {
        sending = false
        sendingDeadline?.cancel()
        guard !finished else { return }
        finished = true
        promise.fail(error)
    }
}
