import ArgumentParser
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension BenchCommand {
    /// Issue 11's catch-up target through a running server: a client that missed
    /// 1,000 events across 10 rooms is caught up within 100 ms of `OK login`.
    struct CatchUp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "catchup",
            abstract: "Times a client catching up on missed room messages right after logging in.",
            discussion: """
                Account 0 (the reader) and account 1 (the writer) join --rooms rooms; the \
                reader logs out, the writer posts --events messages spread evenly over them \
                and notes the id before the first. Then --runs times: the reader connects, \
                asks for ids (/cap req ids), logs in, and from `OK login` sends /catchup \
                <that id> <--page>, following each `more` with the last id it got, until the \
                last page; the time from `OK login` to that last `OK catchup` is one \
                sample. Every run must return exactly --events events, in id order. \
                Nobody else should post meanwhile (run it on a server of its own).
                """
        )

        @OptionGroup var common: CommonOptions

        @Option(help: "Rooms the missed events are spread over.")
        var rooms = 10

        @Option(help: "Events the reader missed.")
        var events = 1_000

        @Option(help: "Events per /catchup page (1-1000; the server's default is 500).")
        var page = 500

        @Option(help: "Timed catch-ups.")
        var runs = 50

        func validate() throws {
            guard (1...100).contains(rooms), (1...100_000).contains(events), (1...1000).contains(page), (1...10_000).contains(runs) else {
                throw ValidationError("--rooms 1-100, --events 1-100000, --page 1-1000, --runs 1-10000")
            }
            guard common.users >= 2 else { throw ValidationError("--users must be at least 2 (a reader and a writer)") }
        }

        func run() async throws {
            let target = try common.makeTarget()
            let accounts = common.accounts
            let (reader, writer) = (accounts.name(forClient: 0), accounts.name(forClient: 1))
            let roomNames = (0..<rooms).map { "#catchup\($0)" }
            let result = try await common.withEventLoop { loop in
                let before = try await prepare(reader: reader, writer: writer, rooms: roomNames, password: accounts.password, target: target, on: loop)
                var loginMilliseconds: [Double] = []
                var catchUpMilliseconds: [Double] = []
                for _ in 0..<runs {
                    let sample = try await catchUp(as: reader, password: accounts.password, after: before, target: target, on: loop)
                    loginMilliseconds.append(sample.login)
                    catchUpMilliseconds.append(sample.catchUp)
                }
                return report(login: loginMilliseconds, catchUp: catchUpMilliseconds)
            }
            try common.report(result)
        }

        /// Memberships and the missed events; returns the id before the first of them.
        private func prepare(reader: String, writer: String, rooms: [String], password: String, target: BenchTarget, on loop: any EventLoop)
            async throws -> Int64
        {
            for name in [reader, writer] {
                let connection = try await login(as: name, password: password, target: target, on: loop)
                for room in rooms {
                    try await connection.send("/join \(room)")
                    try await expect(connection, "OK join \(room)")
                }
                if name == reader {
                    await connection.close()
                    continue
                }
                var first: Int64?
                // A window of acknowledgements keeps the writer from flooding its own queue.
                let window = 64
                var acknowledged = 0
                for index in 0..<events {
                    try await connection.send("/say \(rooms[index % rooms.count]) missed \(index) " + String(repeating: "x", count: 40))
                    while index - acknowledged >= window {
                        let id = try await nextAcknowledgement(connection)
                        first = first ?? id
                        acknowledged += 1
                    }
                }
                while acknowledged < events {
                    let id = try await nextAcknowledgement(connection)
                    first = first ?? id
                    acknowledged += 1
                }
                await connection.close()
                guard let first else { throw ValidationError("no message was acknowledged") }
                return first - 1
            }
            throw ValidationError("unreachable")
        }

        /// One timed catch-up; milliseconds from sending /login to `OK login`, and from
        /// `OK login` to the last `OK catchup`.
        private func catchUp(as reader: String, password: String, after: Int64, target: BenchTarget, on loop: any EventLoop) async throws -> (
            login: Double, catchUp: Double
        ) {
            let connection = try await LineConnection.open(to: target, on: loop)
            do {
                let sample = try await timedCatchUp(on: connection, as: reader, password: password, after: after)
                await connection.close()
                return sample
            } catch {
                await connection.close()
                throw error
            }
        }

        private func timedCatchUp(on connection: LineConnection, as reader: String, password: String, after: Int64) async throws -> (
            login: Double, catchUp: Double
        ) {
            _ = try await connection.next()  // HELLO
            try await connection.send("/cap req ids")
            try await expect(connection, "OK cap req ids")
            let loginStart = ContinuousClock.now
            try await connection.send("/login \(reader) \(password)")
            try await expect(connection, "OK login \(reader)")
            let loggedIn = ContinuousClock.now
            var cursor = after
            var received = 0
            while true {
                try await connection.send("/catchup \(cursor) \(page)")
                var line = try await connection.next()
                while line.hasPrefix("@id=") {
                    guard let id = Self.id(of: line), id > cursor else { throw ValidationError("out of order: \(line)") }
                    cursor = id
                    received += 1
                    line = try await connection.next()
                }
                guard line.hasPrefix("OK catchup ") else { throw ValidationError("unexpected line: \(line)") }
                if !line.hasSuffix(" more") { break }
            }
            let caughtUp = ContinuousClock.now
            guard received == events else { throw ValidationError("caught up on \(received) events, expected \(events): did something else post?") }
            return (Self.milliseconds(loggedIn - loginStart), Self.milliseconds(caughtUp - loggedIn))
        }

        private func report(login: [Double], catchUp: [Double]) -> BenchResult {
            var result = BenchResult(
                scenario: "catchup",
                summary: "\(events) missed events across \(rooms) rooms, pages of \(page), \(runs) runs: OK login → last OK catchup")
            let sorted = catchUp.sorted()
            result.add("catch-up p50", Self.percentile(sorted, 50), "ms")
            result.add("catch-up p99", Self.percentile(sorted, 99), "ms")
            result.add("catch-up max", sorted.last, "ms")
            result.add("login p50 (before, not counted)", Self.percentile(login.sorted(), 50), "ms")
            result.check(
                "catch-up p99", Self.percentile(sorted, 99), "ms", target: "≤ 100 ms", met: { $0 <= 100 }, bar: "",
                comparable: events >= 1_000 && rooms >= 10)
            return result
        }

        private func login(as name: String, password: String, target: BenchTarget, on loop: any EventLoop) async throws -> LineConnection {
            let connection = try await LineConnection.open(to: target, on: loop)
            _ = try await connection.next()  // HELLO
            try await connection.send("/cap req ids")
            try await expect(connection, "OK cap req ids")
            try await connection.send("/login \(name) \(password)")
            try await expect(connection, "OK login \(name)")
            return connection
        }

        /// The id of the writer's next stamped `OK say`; other lines are skipped.
        private func nextAcknowledgement(_ connection: LineConnection) async throws -> Int64 {
            while true {
                let line = try await connection.next()
                if line.hasPrefix("@id="), line.contains(" OK say "), let id = Self.id(of: line) { return id }
                if line.hasPrefix("ERR ") { throw ValidationError("the server refused a message: \(line)") }
            }
        }

        private func expect(_ connection: LineConnection, _ expected: String) async throws {
            let line = try await connection.next()
            guard line == expected else { throw ValidationError("expected '\(expected)', got '\(line)'") }
        }

        private static func id(of line: String) -> Int64? {
            guard let end = line.firstIndex(of: ";") else { return nil }
            return Int64(line[line.index(line.startIndex, offsetBy: 4)..<end])
        }

        private static func milliseconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        }

        /// Nearest-rank percentile of sorted samples.
        private static func percentile(_ sorted: [Double], _ percent: Double) -> Double? {
            guard !sorted.isEmpty else { return nil }
            let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank, 1), sorted.count) - 1]
        }
    }
}
