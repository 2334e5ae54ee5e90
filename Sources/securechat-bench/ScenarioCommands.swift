import ArgumentParser

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension BenchCommand {
    struct Fanout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "N clients in one room (#lobby), S senders; every receiver checks every message.",
            discussion: """
                Without --rate the senders go as fast as the server takes, each with at most \
                --window messages not yet received by everybody. With --rate the senders \
                together send that many messages a second on a fixed schedule, stamped with \
                the scheduled time, so a late generator counts as latency.

                With --messages the senders stop after that many messages and the run \
                ends when every delivery has arrived (or --drain-timeout passes), not \
                after --duration. With --stalled, that many more clients join the room \
                and then never read (4 KiB SO_RCVBUF): the result says whether the server \
                cut them off, and its RSS before, at the peak and after (issue 4).
                """
        )

        @OptionGroup var common: CommonOptions

        @Option(help: "Clients in the room.")
        var clients = 100

        @Option(help: "How many of them send.")
        var senders = 10

        @Option(help: "Messages per second, all senders together (default: as fast as possible).")
        var rate: Double?

        @Option(help: "As-fast-as-possible mode: messages per sender in flight.")
        var window = 64

        @Option(help: "Seconds of sending before measuring.")
        var warmup = 2.0

        @Option(help: "Seconds measured (with --messages: the most sending may take, default 120).")
        var duration: Double?

        @Option(help: "Messages to send in all (all senders together); the run ends when all are delivered.")
        var messages: Int?

        @Option(help: "Extra clients in the room that never read once everybody has joined.")
        var stalled = 0

        @Option(help: "Bytes of message text (stamp plus padding).")
        var payloadBytes = 64

        @Option(help: "Connections being set up at once.")
        var concurrency = 50

        @Option(help: "Seconds allowed for connecting and logging everybody in.")
        var setupTimeout = 180.0

        @Option(help: "Seconds to wait for the last deliveries after sending stops.")
        var drainTimeout = 10.0

        func validate() throws {
            guard clients >= 2, clients <= 20_000 else { throw ValidationError("--clients must be 2-20000") }
            guard senders >= 1, senders <= clients else { throw ValidationError("--senders must be 1-clients") }
            guard window >= 2 else { throw ValidationError("--window must be at least 2") }
            guard (rate ?? 1) > 0, (rate ?? 1) <= 100_000 else { throw ValidationError("--rate must be in (0, 100000]") }
            let duration = duration ?? 10
            guard duration > 0, duration <= 600, warmup >= 0, warmup <= 60 else { throw ValidationError("--duration ≤ 600 s, --warmup ≤ 60 s") }
            guard (messages ?? 1) >= 1, (messages ?? 1) <= 100_000_000 else { throw ValidationError("--messages must be 1-100000000") }
            guard stalled >= 0, clients + stalled <= 20_000 else { throw ValidationError("--stalled must be 0-(20000 - clients)") }
            guard payloadBytes >= 1, payloadBytes <= 4000 else { throw ValidationError("--payload-bytes must be 1-4000") }
        }

        func run() async throws {
            let parameters = FanoutParameters(
                clients: clients,
                senders: senders,
                mode: rate.map { .rate(messagesPerSecond: $0) } ?? .fast(window: window),
                warmupSeconds: warmup,
                durationSeconds: duration ?? (messages == nil ? 10 : 120),
                drainTimeoutSeconds: drainTimeout,
                payloadBytes: payloadBytes,
                connectConcurrency: concurrency,
                setupTimeoutSeconds: setupTimeout,
                messages: messages,
                stalled: stalled
            )
            let target = try common.makeTarget()
            let outcome = try await common.withEventLoop { loop in
                try await FanoutDriver.run(parameters, target: target, accounts: common.accounts, probe: common.probe, on: loop)
            }
            try common.report(BenchResult(outcome))
        }
    }

    struct Idle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Holds N logged-in connections; reports server RSS per connection."
        )

        @OptionGroup var common: CommonOptions

        @Option(help: "Connections to hold.")
        var connections = 10_000

        @Option(help: "Each connection joins a room of this many and leaves #lobby.")
        var roomSize = 50

        @Flag(inversion: .prefixedNo, help: "Log in (--no-login: hold connections right after HELLO).")
        var login = true

        @Option(help: "Connections being set up at once.")
        var concurrency = 50

        @Option(help: "Seconds to idle before the final RSS reading.")
        var hold = 3.0

        @Option(help: "Seconds allowed for connecting and logging everybody in.")
        var setupTimeout = 300.0

        func validate() throws {
            guard connections >= 1, connections <= 30_000 else { throw ValidationError("--connections must be 1-30000") }
            guard roomSize >= 1 else { throw ValidationError("--room-size must be positive") }
            guard hold >= 0, hold <= 600 else { throw ValidationError("--hold must be 0-600 s") }
        }

        func run() async throws {
            let parameters = IdleParameters(
                connections: connections,
                logIn: login,
                roomSize: roomSize,
                connectConcurrency: concurrency,
                holdSeconds: hold,
                setupTimeoutSeconds: setupTimeout
            )
            let target = try common.makeTarget()
            let outcome = try await common.withEventLoop { loop in
                try await IdleScenario.run(parameters, target: target, accounts: common.accounts, probe: common.probe, on: loop)
            }
            try common.report(BenchResult(outcome))
        }
    }

    struct Storm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reconnect storm: N accounts in #lobby log in at once; time until every one is ready.",
            discussion: """
                Connection i logs in as account i (so --users must be at least \
                --connections), --concurrency connections at a time; nothing else is sent. \
                Reports the time from the first connect until the last OK login, the \
                server's CPU meanwhile, and any JOIN notices seen (a login should send \
                none). Issue 11: 5,000 accounts, 256 at a time, cheapest hash, server on \
                one core: all ready in 10 s or less.
                """
        )

        @OptionGroup var common: CommonOptions

        @Option(help: "Connections, one account each.")
        var connections = 5_000

        @Option(help: "Connections being set up at once.")
        var concurrency = 256

        @Option(help: "Seconds allowed until every session is ready.")
        var setupTimeout = 120.0

        func validate() throws {
            guard connections >= 1, connections <= 10_000 else { throw ValidationError("--connections must be 1-10000") }
            guard connections <= common.users else { throw ValidationError("--users must be at least --connections (one account each)") }
            guard concurrency >= 1, concurrency <= 1_000 else { throw ValidationError("--concurrency must be 1-1000") }
        }

        func run() async throws {
            let parameters = StormParameters(connections: connections, concurrency: concurrency, setupTimeoutSeconds: setupTimeout)
            let target = try common.makeTarget()
            let outcome = try await common.withEventLoop { loop in
                try await StormScenario.run(parameters, target: target, accounts: common.accounts, probe: common.probe, on: loop)
            }
            try common.report(BenchResult(outcome))
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "/history through the server: one session asks for a page again and again; latency to OK history.",
            discussion: """
                Logs in as the first bench account, which must be a member of --room, and \
                sends /history ROOM PAGE --queries times, one at a time. Issue 11: a page of \
                50 from a room of 1,000,000 events, p99 5 ms or less (Scripts/bench-durable \
                makes such a room).
                """
        )

        @OptionGroup var common: CommonOptions

        @Option(help: "The room to read.")
        var room = "#big"

        @Option(help: "Messages per /history.")
        var page = 50

        @Option(help: "How many /history calls.")
        var queries = 1_000

        func validate() throws {
            guard (1...1_000).contains(page) else { throw ValidationError("--page must be 1-1000") }
            guard (1...1_000_000).contains(queries) else { throw ValidationError("--queries must be 1-1000000") }
        }

        func run() async throws {
            let parameters = HistoryParameters(room: room, page: page, queries: queries, setupTimeoutSeconds: 60)
            let target = try common.makeTarget()
            let outcome = try await common.withEventLoop { loop in
                try await HistoryDriver.run(parameters, target: target, accounts: common.accounts, on: loop)
            }
            try common.report(BenchResult(outcome))
        }
    }

    struct Handshake: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect, full TLS handshake, HELLO, close; over and over."
        )

        @OptionGroup var common: CommonOptions
        @OptionGroup var cycle: CycleOptions

        func run() async throws {
            let target = try common.makeTarget()
            let parameters = cycle.parameters(.handshake)
            let outcome = try await common.withEventLoop { loop in
                try await CycleDriver.run(parameters, target: target, accounts: common.accounts, probe: common.probe, on: loop)
            }
            try common.report(BenchResult(outcome, hashSeconds: cycle.hashSeconds, serverCores: cycle.serverCores))
        }
    }

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect, handshake, /login, close; over and over.",
            discussion: """
                With bench accounts made at --cost minimum this measures everything but the \
                password hash. With --pingers, that many logged-in sessions /ping meanwhile: \
                run against default-cost accounts to see whether logins starve chat.
                """
        )

        @OptionGroup var common: CommonOptions
        @OptionGroup var cycle: CycleOptions

        func run() async throws {
            let target = try common.makeTarget()
            let parameters = cycle.parameters(.login)
            let outcome = try await common.withEventLoop { loop in
                try await CycleDriver.run(parameters, target: target, accounts: common.accounts, probe: common.probe, on: loop)
            }
            try common.report(BenchResult(outcome, hashSeconds: cycle.hashSeconds, serverCores: cycle.serverCores))
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prints every result in a --json file, then the targets table."
        )

        @Argument(help: "A file written with --json.")
        var path: String

        @Flag(help: "Only the targets table.")
        var summaryOnly = false

        func run() throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let document = try JSONDecoder().decode(BenchDocument.self, from: data)
            if !summaryOnly {
                for result in document.results {
                    print(TableFormat.render(result))
                    print()
                }
            }
            print(TableFormat.summary(document))
        }
    }
}

/// Options of the connect-and-close scenarios.
struct CycleOptions: ParsableArguments {
    @Option(help: "Connections in progress at once.")
    var concurrency = 16

    @Option(help: "Seconds of cycling before measuring.")
    var warmup = 1.0

    @Option(help: "Seconds measured.")
    var duration = 10.0

    @Option(help: "Logged-in sessions that /ping during the run.")
    var pingers = 0

    @Option(help: "Milliseconds between each pinger's pings.")
    var pingInterval = 100

    @Option(help: "One password hash's CPU time, for the default-cost login target.")
    var hashSeconds = 0.1

    @Option(help: "Cores the server may use, for the default-cost login target.")
    var serverCores = 1.0

    func validate() throws {
        guard concurrency >= 1, concurrency <= 1000 else { throw ValidationError("--concurrency must be 1-1000") }
        guard duration > 0, duration <= 600, warmup >= 0, warmup <= 60 else { throw ValidationError("--duration ≤ 600 s, --warmup ≤ 60 s") }
        guard pingers >= 0, pingers <= 1000, pingInterval >= 1 else { throw ValidationError("--pingers 0-1000, --ping-interval ≥ 1 ms") }
    }

    func parameters(_ kind: CycleParameters.Kind) -> CycleParameters {
        CycleParameters(
            kind: kind,
            concurrency: concurrency,
            warmupSeconds: warmup,
            durationSeconds: duration,
            pingers: pingers,
            pingIntervalMilliseconds: pingInterval,
            setupTimeoutSeconds: 60
        )
    }
}
