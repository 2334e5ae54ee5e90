import Histogram

/// Each scenario's outcome as figures, with issue 5's targets and the C servers' bar.
extension BenchResult {
    init(_ outcome: FanoutOutcome) {
        let p = outcome.parameters
        let length = p.messages.map { "\(Self.number(Double($0))) messages" } ?? "\(Self.seconds(p.durationSeconds)) measured"
        let stalled = p.stalled > 0 ? ", \(p.stalled) stalled (never read)" : ""
        switch p.mode {
        case .fast(let window):
            self.init(
                scenario: p.stalled > 0 ? "fanout-stalled" : "fanout-fast",
                summary: "\(p.clients) clients\(stalled), \(p.senders) senders as fast as possible (window \(window)), \(length)")
        case .rate(let rate):
            self.init(
                scenario: p.stalled > 0 ? "fanout-stalled" : "fanout-rate",
                summary:
                    "\(p.clients) clients\(stalled), \(p.senders) senders, \(Self.number(rate)) msg/s (\(Self.number(rate * Double(p.clients - 1))) deliveries/s), \(length)"
            )
        }
        let cpu = outcome.serverCPUSeconds
        let perCPU = cpu.flatMap { $0 > 0 ? Double(outcome.measuredDeliveries) / $0 : nil }
        let cpuShare = cpu.map { 100 * $0 / max(outcome.measuredSeconds, 1e-9) }
        add("deliveries per server CPU-second", perCPU)
        add("deliveries per second", Double(outcome.measuredDeliveries) / max(outcome.measuredSeconds, 1e-9))
        add("server CPU", cpuShare, "% of a core")
        add("server CPU time", cpu, "s")
        add("generator CPU", outcome.generatorCPUSeconds.map { 100 * $0 / max(outcome.measuredSeconds, 1e-9) }, "% of a core")
        add("server RSS", outcome.rssKiB.map(Double.init), "KiB")
        add("server RSS before sending", outcome.rssBeforeKiB.map(Double.init), "KiB")
        add("server RSS peak (100 ms samples)", outcome.rssPeakKiB.map(Double.init), "KiB")
        add("server RSS after", outcome.rssAfterKiB.map(Double.init), "KiB")
        addLatency(outcome.latency, prefix: "latency")
        add("messages sent", Double(outcome.sent))
        add("deliveries expected", Double(outcome.expectedDeliveries))
        add("deliveries received", Double(outcome.delivered))
        add("lost", Double(outcome.missing))
        add("duplicated", Double(outcome.duplicates))
        add("out of order", Double(outcome.outOfOrder))
        if p.stalled > 0 {
            add("stalled clients", Double(p.stalled))
            add("stalled clients disconnected by the server", Double(outcome.stalledDisconnected))
            add("stalled clients still connected", Double(outcome.stalledStillOpen))
            add("most messages a stalled client got (reading again at the end)", Double(outcome.stalledMostReceived))
        }
        add("setup (connect, log in, /join #lobby)", outcome.setupSeconds, "s")
        record(outcome.failures)
        if !outcome.drained {
            notes.append("not every delivery arrived within \(Self.seconds(p.drainTimeoutSeconds)) after the senders stopped")
        }
        if let info = outcome.sessionInfo {
            notes.append("\(info.protocolVersion) \(info.cipher)")
        }
        let intact = outcome.missing + outcome.duplicates + outcome.outOfOrder == 0 && outcome.failures.count == 0
        if p.stalled > 0 {
            // Issue 4: a client that never reads must not cost the others anything,
            // nor make the server's memory grow with the traffic it cannot take.
            let growthMiB = outcome.rssPeakKiB.flatMap { peak in outcome.rssBeforeKiB.map { Double(peak - $0) / 1024 } }
            let allCutOff = outcome.stalledDisconnected == p.stalled
            let everything = outcome.drained && intact
            let unit =
                "MiB peak RSS growth; \(outcome.stalledDisconnected)/\(p.stalled) stalled cut off; \(Self.number(Double(outcome.delivered - outcome.duplicates)))/\(Self.number(Double(outcome.expectedDeliveries))) delivered"
            check(
                "slow consumer (issue 4)", growthMiB, unit,
                target:
                    "every normal client got every message; stalled client disconnected; RSS bounded (peak ≤ before + \(Self.number(Double(Self.stalledRSSGrowthBoundMiB))) MiB)",
                met: { everything && allCutOff && $0 <= Double(Self.stalledRSSGrowthBoundMiB) },
                bar: "", comparable: p.clients >= 99 && (p.messages ?? 0) >= 10_000)
            return
        }
        switch p.mode {
        case .fast:
            let comparable = p.clients == 100 && p.senders == 10
            check(
                "deliveries per server CPU-second", perCPU, "/CPU-s", target: "≥ 2,500,000", met: { $0 >= 2_500_000 },
                bar: "mosquitto 85k, InspIRCd 1.76M, ngIRCd 1.77M", comparable: comparable)
            check(
                "lost + duplicated + reordered", Double(outcome.missing + outcome.duplicates + outcome.outOfOrder), "", target: "0",
                met: { _ in intact }, bar: "", comparable: true)
        case .rate(let rate):
            let comparable = p.clients >= 1000
            let p99 = outcome.latency.totalCount > 0 ? Double(outcome.latency.valueAtPercentile(99)) / 1000 : nil
            if rate <= 20 {
                check(
                    "latency p99", p99, "ms", target: "≤ 10 ms", met: { $0 <= 10 },
                    bar: "p50/p99: mosquitto 25/412 ms, InspIRCd 8/17 ms, ngIRCd 9/20 ms", comparable: comparable)
                check(
                    "server CPU", cpuShare, "%", target: "≤ 20 %", met: { $0 <= 20 },
                    bar: "mosquitto 38 %, InspIRCd 25 %, ngIRCd 31 %", comparable: comparable)
            } else {
                check(
                    "latency p99", p99, "ms", target: "≤ 100 ms", met: { $0 <= 100 },
                    bar: "mosquitto falls behind, InspIRCd 227 ms, ngIRCd 188 ms", comparable: comparable)
            }
            check(
                "lost + duplicated + reordered", Double(outcome.missing + outcome.duplicates + outcome.outOfOrder), "", target: "0",
                met: { _ in intact }, bar: "", comparable: true)
        }
    }

    init(_ outcome: IdleOutcome) {
        let p = outcome.parameters
        let what = p.logIn ? "idle logged-in connections (rooms of \(p.roomSize))" : "idle connections, TLS only (never logged in)"
        self.init(scenario: p.logIn ? "idle" : "idle-tls", summary: "\(p.connections) \(what)")
        add("RSS per connection", outcome.kibPerConnection, "KiB")
        add("server RSS before", outcome.rssBeforeKiB.map(Double.init), "KiB")
        add("server RSS after", outcome.rssAfterKiB.map(Double.init), "KiB")
        add("server RSS after holding \(Self.seconds(p.holdSeconds))", outcome.rssHeldKiB.map(Double.init), "KiB")
        add("setup", outcome.setupSeconds, "s")
        add("server CPU per connection set up", outcome.setupServerCPUSeconds.map { 1e6 * $0 / Double(max(1, p.connections)) }, "µs")
        record(outcome.failures)
        if let info = outcome.sessionInfo {
            notes.append("\(info.protocolVersion) \(info.cipher)")
        }
        if p.logIn {
            check(
                "RSS per idle connection", outcome.kibPerConnection, "KiB", target: "≤ 10 KiB at 10,000", met: { $0 <= 10 },
                bar: "mosquitto 15.6, InspIRCd 15.6, ngIRCd 13.0 KiB (5,000)", comparable: p.connections >= 10_000)
        }
    }

    init(_ outcome: StormOutcome) {
        let p = outcome.parameters
        self.init(scenario: "storm", summary: "\(p.connections) accounts in #lobby log in, \(p.concurrency) at a time")
        add("all ready after", outcome.readySeconds, "s")
        add("logins per second", Double(p.connections) / max(outcome.readySeconds, 1e-9))
        add("server CPU time", outcome.serverCPUSeconds, "s")
        add("server CPU per login", outcome.serverCPUSeconds.map { 1e6 * $0 / Double(max(1, p.connections)) }, "µs")
        add("server CPU", outcome.serverCPUSeconds.map { 100 * $0 / max(outcome.readySeconds, 1e-9) }, "% of a core")
        add("generator CPU", outcome.generatorCPUSeconds.map { 100 * $0 / max(outcome.readySeconds, 1e-9) }, "% of a core")
        add("JOIN notices seen", Double(outcome.joinNotices))
        record(outcome.failures)
        if let info = outcome.sessionInfo {
            notes.append("\(info.protocolVersion) \(info.cipher)")
        }
        check(
            "reconnect storm: all ready", outcome.readySeconds, "s", target: "≤ 10 s (5,000, 256 at a time, one core)",
            met: { $0 <= 10 }, bar: "before issue 11: 4,596 of 5,000 ready after 61 s",
            comparable: p.connections >= 5_000 && p.concurrency == 256)
    }

    init(_ outcome: HistoryOutcome) {
        let p = outcome.parameters
        self.init(scenario: "history", summary: "/history \(p.room) \(p.page) through the server, \(p.queries) times, one at a time")
        addLatency(outcome.latency, prefix: "time to OK history")
        add("answered", Double(outcome.answered))
        record(outcome.failures)
        let p99 = outcome.latency.totalCount > 0 ? Double(outcome.latency.valueAtPercentile(99)) / 1000 : nil
        check(
            "/history of \(p.page), p99 through the server", p99, "ms", target: "≤ 5 ms (store alone: Scripts/bench-store)",
            met: { $0 <= 5 }, bar: "", comparable: p.page == 50)
    }

    init(_ outcome: CycleOutcome, hashSeconds: Double, serverCores: Double) {
        let p = outcome.parameters
        let what = p.kind == .handshake ? "full handshakes" : "connect + handshake + login"
        self.init(
            scenario: p.kind.rawValue,
            summary: "\(what), \(p.concurrency) at a time, \(Self.seconds(p.durationSeconds)) measured" + (p.pingers > 0 ? ", \(p.pingers) pingers" : ""))
        let cpu = outcome.serverCPUSeconds
        let perCPU = cpu.flatMap { $0 > 0 ? Double(outcome.completed) / $0 : nil }
        let perSecond = Double(outcome.completed) / max(outcome.measuredSeconds, 1e-9)
        let label = p.kind == .handshake ? "handshakes" : "logins"
        add("\(label) per server CPU-second", perCPU)
        add("\(label) per second", perSecond)
        add("server CPU", cpu.map { 100 * $0 / max(outcome.measuredSeconds, 1e-9) }, "% of a core")
        add("generator CPU", outcome.generatorCPUSeconds.map { 100 * $0 / max(outcome.measuredSeconds, 1e-9) }, "% of a core")
        add("server CPU per \(label.dropLast())", cpu.flatMap { outcome.completed > 0 ? 1e6 * $0 / Double(outcome.completed) : nil }, "µs")
        addLatency(outcome.latency, prefix: "time to \(p.kind == .handshake ? "HELLO" : "OK login")")
        add("completed (measured window)", Double(outcome.completed))
        add("ERR busy", Double(outcome.busy))
        if p.pingers > 0 {
            addLatency(outcome.pingLatency, prefix: "ping round trip")
            add("pings sent", Double(outcome.pingsSent))
            add("pings answered", Double(outcome.pingsAnswered))
        }
        record(outcome.failures)
        if outcome.unfinished > 0 {
            notes.append("\(outcome.unfinished) cycles had not finished 10 s after the run")
        }
        if let info = outcome.sessionInfo {
            notes.append("\(info.protocolVersion) \(info.cipher)")
        }
        switch p.kind {
        case .handshake:
            check(
                "handshakes per server CPU-second", perCPU, "/CPU-s", target: "≥ 2,500", met: { $0 >= 2500 },
                bar: "mosquitto 1.7k, InspIRCd 2.1k, ngIRCd 2.0k", comparable: true)
        case .login where p.pingers == 0:
            check(
                "logins per server CPU-second", perCPU, "/CPU-s", target: "≥ 2,200 (cheapest hash)", met: { $0 >= 2200 },
                bar: "mosquitto 1.5k, InspIRCd 1.9k, ngIRCd 1.9k", comparable: true)
        case .login:
            // The default-cost run: throughput against what the cores could hash.
            let ideal = serverCores / hashSeconds
            add("ideal logins per second (\(Self.number(serverCores)) cores ÷ \(Self.number(hashSeconds * 1000)) ms)", ideal)
            check(
                "login throughput ÷ ideal", perSecond / ideal * 100, "%", target: "≥ 90 %", met: { $0 >= 90 },
                bar: "", comparable: true)
            let p99 = outcome.pingLatency.totalCount > 0 ? Double(outcome.pingLatency.valueAtPercentile(99)) / 1000 : nil
            check("ping round trip p99 during logins", p99, "ms", target: "≤ 20 ms", met: { $0 <= 20 }, bar: "", comparable: true)
        }
    }

    /// "RSS bounded" for the stalled-client run: the server's peak may exceed its RSS
    /// before sending by at most this much.
    static let stalledRSSGrowthBoundMiB = 32

    private mutating func addLatency(_ histogram: Histogram<UInt64>, prefix: String) {
        guard histogram.totalCount > 0 else { return }
        for (label, percentile) in [("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99.9", 99.9)] {
            add("\(prefix) \(label)", Double(histogram.valueAtPercentile(percentile)) / 1000, "ms")
        }
        add("\(prefix) max", Double(histogram.max) / 1000, "ms")
        add("\(prefix) samples", Double(histogram.totalCount))
    }

    static func seconds(_ value: Double) -> String {
        "\(number(value)) s"
    }

    static func number(_ value: Double) -> String {
        TableFormat.number(value)
    }
}
