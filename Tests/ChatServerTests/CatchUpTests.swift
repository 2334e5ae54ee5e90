import ChatTestSupport
import XCTest

/// `/catchup`: everything after an id across the account's rooms and direct
/// conversations, in id order, in pages with the `more` marker; nothing lost while
/// others keep talking.
final class CatchUpTests: XCTestCase {
    /// Reads lines, skipping others, until `expected` arrives stamped; returns its id.
    @discardableResult
    private func awaitStamped(_ client: TestLineClient, _ expected: String, file: StaticString = #filePath, line: UInt = #line) async throws
        -> Int64
    {
        while let next = try await client.nextLine() {
            if let stamped = StampedLine(next), stamped.line == expected { return stamped.id }
        }
        XCTFail("the connection closed before \(expected)", file: file, line: line)
        return -1
    }

    func testCatchUpCoversTheAccountsRoomsAndDirectMessagesInPages() async throws {
        let harness = try await ServerHarness.start(for: self)
        let phone = try await harness.loginWithIDs("alice")
        let tablet = try await harness.loginWithIDs("alice")
        let bob = try await harness.loginWithIDs("bob")
        let carol = try await harness.loginWithIDs("carol")
        for room in ["#a", "#b"] {
            try await phone.send("/join \(room)")
            try await expect(phone, "OK join \(room)")
        }
        for room in ["#a", "#b", "#c"] {
            try await bob.send("/join \(room)")
            try await expect(bob, "OK join \(room)")
        }
        try await carol.send("/join #c")
        try await expect(carol, "OK join #c")
        try await phone.send("/msg bob before I go")
        let seen = try await awaitStamped(phone, "OK msg bob")
        await phone.close()

        // What alice's phone misses, in the order the log has it.
        var missed: [(id: Int64, line: String)] = []
        for round in 0..<4 {
            for room in ["#lobby", "#a", "#b"] {
                try await bob.send("/say \(room) \(room) \(round)")
                missed.append((try await awaitStamped(bob, "OK say \(room)"), "MSG \(room) bob \(room) \(round)"))
            }
            try await bob.send("/say #c not alice's \(round)")
            try await awaitStamped(bob, "OK say #c")
            try await carol.send("/say #c nor this \(round)")
            try await awaitStamped(carol, "OK say #c")
            try await bob.send("/msg alice dm \(round)")
            missed.append((try await awaitStamped(bob, "OK msg alice"), "DM bob dm \(round)"))
            try await tablet.send("/msg bob from the tablet \(round)")
            missed.append((try await awaitStamped(tablet, "OK msg bob"), "DMSENT bob from the tablet \(round)"))
            try await carol.send("/msg bob private \(round)")
            try await awaitStamped(carol, "OK msg bob")
        }
        XCTAssertEqual(missed.map(\.id), missed.map(\.id).sorted())

        let back = try await harness.loginWithIDs("alice")
        // The tablet was online, so no DM waited: the ping's answer comes first.
        try await expectNothingPending(back)
        var caughtUp: [StampedLine] = []
        var cursor = seen
        var pages: [String] = []
        while true {
            try await back.send("/catchup \(cursor) 7")
            let page = try await readPage(back)
            caughtUp += page.lines
            pages.append(page.ok)
            guard page.ok.hasSuffix(" more"), let last = page.lines.last else { break }
            XCTAssertEqual(page.ok, "OK catchup 7 more")
            cursor = last.id
        }
        XCTAssertEqual(caughtUp.map(\.id), missed.map(\.id), "every missed event once, in id order")
        XCTAssertEqual(caughtUp.map(\.line), missed.map(\.line))
        XCTAssertEqual(pages.count, (missed.count + 6) / 7 + (missed.count % 7 == 0 ? 1 : 0))
        XCTAssertEqual(pages.last, "OK catchup \(missed.count % 7)")

        // From the start: the DM alice sent before going comes first, as sent.
        try await back.send("/catchup 0 1")
        let first = try await readPage(back)
        XCTAssertEqual(first.lines.map(\.line), ["DMSENT bob before I go"])
        XCTAssertEqual(first.lines.map(\.id), [seen])
        XCTAssertEqual(first.ok, "OK catchup 1 more")
        for client in [tablet, back] { await client.close() }
        for client in [bob, carol] { await client.close() }
    }

    /// bob keeps posting while alice catches up: every id reaches her, by catch-up or
    /// live, and neither stream repeats one. (An event may come both ways, when it was
    /// stored while a page was read; a client keeps one per id.)
    func testAMessagePostedDuringCatchUpIsNeitherLostNorDuplicated() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.linesPerSecond = 0 }
        let bob = try await harness.loginWithIDs("bob")
        let carol = try await harness.loginWithIDs("carol")
        var all: [Int64] = []
        for index in 0..<200 {
            try await bob.send("before \(index)")
            all.append(try await expectStamped(bob, "OK say #lobby"))
        }

        let alice = try await harness.loginWithIDs("alice")
        // Two conversations keep growing meanwhile: the lobby and a DM to alice.
        let posting = Task {
            var ids: [Int64] = []
            for index in 0..<150 {
                try await bob.send("during \(index)")
                ids.append(try await expectStamped(bob, "OK say #lobby"))
            }
            return ids
        }
        let messaging = Task {
            var ids: [Int64] = []
            for index in 0..<50 {
                try await carol.send("/msg alice during \(index)")
                while let line = try await carol.nextLine() {
                    if let stamped = StampedLine(line), stamped.line == "OK msg alice" {
                        ids.append(stamped.id)
                        break
                    }
                }
            }
            return ids
        }

        var caughtUp: [Int64] = []
        var live: [Int64] = []
        var pending: [StampedLine] = []
        var cursor: Int64 = 0
        try await alice.send("/catchup 0 40")
        while let line = try await alice.nextLine() {
            if let stamped = StampedLine(line) {
                pending.append(stamped)
                continue
            }
            // A page's lines are the ones just before its OK: a session writes a page in
            // one go, so no live line lands inside it.
            let parts = line.split(separator: " ")
            XCTAssertEqual(parts.prefix(2), ["OK", "catchup"], line)
            let count = Int(parts[2]) ?? 0
            live += pending.dropLast(count).map(\.id)
            let page = pending.suffix(count).map(\.id)
            caughtUp += page
            pending = []
            guard parts.last == "more", let last = page.last else { break }
            cursor = last
            try await alice.send("/catchup \(cursor) 40")
        }
        all += try await posting.value
        all += try await messaging.value
        let expected = Set(all)
        live += pending.map(\.id)
        // Everything stored after the login comes live, in id order, so the newest id
        // is the last live line.
        let newest = all.max() ?? 0
        while live.last ?? 0 < newest, let line = try await alice.nextLine() {
            if let stamped = StampedLine(line) { live.append(stamped.id) }
        }

        XCTAssertEqual(Set(caughtUp + live), expected, "every id once the two streams are joined")
        XCTAssertEqual(caughtUp, caughtUp.sorted(), "catch-up in id order")
        XCTAssertEqual(Set(caughtUp).count, caughtUp.count, "no id twice in catch-up")
        XCTAssertEqual(Set(live).count, live.count, "no id twice live")
        XCTAssertEqual(live, live.sorted(), "live lines in id order")
        XCTAssertGreaterThanOrEqual(caughtUp.count, 200, "everything stored before the login came by catch-up")
        try await expectNothingPending(alice)
        // carol, in the lobby too, has bob's lines waiting; they are not the point.
        for client in [alice, bob, carol] { await client.close() }
    }
}
