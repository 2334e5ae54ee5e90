import ArgumentParser
import ChatModel
import ChatStore
import Foundation

extension BenchCommand {
    /// The conversation store alone, no server (issue 11): how many messages a second
    /// the group-commit writer stores, and how long `history` of a page takes from a
    /// room holding a million events.
    struct Store: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measures the SQLite conversation store: group-commit appends, history from a big room.",
            discussion: """
                (a) --appenders tasks append --messages single messages in all, one \
                append at a time each, through the group-commit writer, across 10 rooms; \
                reports messages stored per second. (b) Fills one room to --room-events \
                events (batches of 1,000), then runs --queries history calls of --page \
                events each, half the newest page and half a page before a random id, \
                and reports p50/p99/max. (c) Catch-up of the last 1,000 events of (a) \
                across its 10 rooms, in pages, 100 times. Uses a fresh database in a temporary directory \
                (or --path), deleted at the end unless --keep.
                """
        )

        @Option(help: "Concurrent appenders for (a).")
        var appenders = 64

        @Option(help: "Messages stored in (a), all appenders together.")
        var messages = 200_000

        @Option(help: "Events in the big room for (b).")
        var roomEvents = 1_000_000

        @Option(help: "History calls in (b).")
        var queries = 1_000

        @Option(help: "Events per history call.")
        var page = 50

        @Option(help: "Database file (default: a new temporary directory).")
        var path: String?

        @Flag(help: "Keep the database file.")
        var keep = false

        @Flag(help: "synchronous=FULL (an fsync per commit) instead of NORMAL.")
        var full = false

        func run() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("securechat-bench-store-\(UUID().uuidString)")
            let file = path ?? directory.appendingPathComponent("bench.db").path
            let store = try SQLiteStore(path: file, durability: full ? .full : .normal)
            defer {
                try? store.close()
                if !keep && path == nil { try? FileManager.default.removeItem(at: directory) }
            }
            print("database \(file), synchronous=\(full ? "FULL" : "NORMAL")")
            try await measureAppends(store)
            try await measureHistory(store)
            try await measureCatchUp(store)
        }

        private static func event(_ room: RoomName, _ text: String) -> NewEvent {
            NewEvent(conversation: .room(room), sender: AccountID(1), senderName: UserName("bench")!, text: text, sentAt: Date())
        }

        private func measureAppends(_ store: SQLiteStore) async throws {
            let rooms = (0..<10).map { RoomName("#bench\($0)")! }
            let appenders = max(appenders, 1)
            let perAppender = max(messages / appenders, 1)
            let text = String(repeating: "x", count: 64)
            let clock = ContinuousClock()
            let started = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for appender in 0..<appenders {
                    group.addTask {
                        for index in 0..<perAppender {
                            _ = try await store.append([Self.event(rooms[(appender + index) % rooms.count], text)])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seconds = (clock.now - started).seconds
            let total = perAppender * appenders
            print(
                String(
                    format: "(a) group commit: %d messages, %d appenders, %.2f s: %.0f messages/s (target >= 20000)",
                    total, appenders, seconds, Double(total) / seconds
                )
            )
        }

        /// (c) A client that missed the last 1,000 events of the 10 rooms of (a) reads
        /// them in pages of 1,000 while #big of (b) holds its million: the store's part
        /// of the issue's catch-up target.
        private func measureCatchUp(_ store: SQLiteStore) async throws {
            let rooms = (0..<10).map { ConversationID.room(RoomName("#bench\($0)")!) }
            var newest: Int64 = 0
            for room in rooms {
                newest = max(newest, try await store.history(of: room, before: nil, limit: 1).events.last?.id.rawValue ?? 0)
            }
            let missed = Int64(min(1_000, messages))
            let clock = ContinuousClock()
            var samples: [Double] = []
            for _ in 0..<100 {
                let start = clock.now
                var cursor = EventID(newest - missed)
                var count = 0
                while true {
                    let page = try await store.events(after: cursor, in: rooms, limit: maxPageSize)
                    count += page.events.count
                    guard page.more, let last = page.events.last else { break }
                    cursor = last.id
                }
                samples.append((clock.now - start).seconds * 1000)
                guard count == missed else { throw ValidationError("caught up \(count) events, not \(missed)") }
            }
            samples.sort()
            let figures = String(format: "p50 %.3f ms, p99 %.3f ms", percentile(samples, 0.50), percentile(samples, 0.99))
            print("(c) catch-up of \(missed) events across \(rooms.count) rooms (100 times): \(figures)")
        }

        private func measureHistory(_ store: SQLiteStore) async throws {
            let room = RoomName("#big")!
            let clock = ContinuousClock()
            let started = clock.now
            var remaining = roomEvents
            var firstID: EventID?
            while remaining > 0 {
                let batch = min(remaining, 1_000)
                let events = (0..<batch).map { Self.event(room, "message \(remaining - $0)") }
                let ids = try await store.append(events)
                if firstID == nil { firstID = ids.first }
                remaining -= batch
            }
            print(String(format: "(b) filled #big with %d events in %.1f s", roomEvents, (clock.now - started).seconds))
            let high = try await store.history(of: .room(room), before: nil, limit: 1).events.last?.id.rawValue ?? 0
            guard let low = firstID?.rawValue, high - low > Int64(page) else {
                throw ValidationError("--room-events must exceed --page")
            }

            var newest: [Double] = []
            var random: [Double] = []
            for query in 0..<queries {
                let before = query.isMultiple(of: 2) ? nil : EventID(Int64.random(in: (low + Int64(page))...high))
                let start = clock.now
                let result = try await store.history(of: .room(room), before: before, limit: page)
                let elapsed = (clock.now - start).seconds * 1000
                guard result.events.count == page else {
                    throw ValidationError("history returned \(result.events.count) events, not \(page)")
                }
                if before == nil { newest.append(elapsed) } else { random.append(elapsed) }
            }
            for (label, samples) in [("newest page", newest), ("before a random id", random), ("all", newest + random)] {
                let sorted = samples.sorted()
                let figures = String(
                    format: "p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                    percentile(sorted, 0.50), percentile(sorted, 0.99), sorted.last ?? 0
                )
                print("(b) history of \(page), \(label) (\(sorted.count) calls): \(figures) (target p99 <= 5 ms)")
            }
        }

        private func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
