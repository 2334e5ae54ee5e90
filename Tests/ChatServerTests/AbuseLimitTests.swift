import ChatServer
import ChatTestSupport
import NIOCore
import XCTest

/// The limits a public server needs on its first day: connection caps, time limits,
/// rate limits and login penalties, each crossed over real TLS.
final class AbuseLimitTests: XCTestCase {
    func testConnectionsBeyondThePerAddressCapAreClosedBeforeTLS() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.maxConnectionsPerIP = 2 }
        let first = try await harness.connect()
        let second = try await harness.connect()
        do {
            _ = try await harness.connect()
            XCTFail("a third connection from one address was served")
        } catch {}
        XCTAssertTrue(harness.logs.joined.contains("reason=per-address limit"))
        // Closing one makes room again.
        await first.close()
        try await Task.sleep(for: .milliseconds(100))
        let third = try await harness.connect()
        await second.close()
        await third.close()
    }

    func testConnectionsBeyondTheGlobalCapAreClosed() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.maxConnections = 1 }
        let first = try await harness.connect()
        do {
            _ = try await harness.connect()
            XCTFail("served a connection beyond the global cap")
        } catch {}
        XCTAssertTrue(harness.logs.joined.contains("reason=connection limit"))
        await first.close()
    }

    func testLoginGracePeriodClosesSessionsThatNeverLogIn() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.loginGracePeriod = .milliseconds(300) }
        let loggedIn = try await harness.login("alice")
        let idler = try await harness.connect()
        let rest = try await idler.linesUntilClosed()
        XCTAssertEqual(rest, ["BYE login timeout"])
        // Logging in in time is what counts; the logged-in session stays.
        try await Task.sleep(for: .milliseconds(400))
        try await expectNothingPending(loggedIn)
        await loggedIn.close()
    }

    func testIdleClientsArePingedAndOnlySilentOnesAreClosed() async throws {
        let harness = try await ServerHarness.start(for: self) {
            $0.idleTimeout = .milliseconds(300)
            $0.pingTimeout = .milliseconds(400)
        }
        let healthy = try await harness.login("alice")
        let silent = try await harness.login("bob")

        // The healthy client answers each PING and outlives several timeouts.
        var pings = 0
        while pings < 3 {
            let line = try await healthy.nextLine()
            let ping = try XCTUnwrap(line)
            XCTAssertTrue(ping.hasPrefix("PING "), ping)
            try await healthy.send("/pong \(ping.dropFirst("PING ".count))")
            pings += 1
        }
        // The silent one got one PING, then BYE.
        let silentLines = try await silent.linesUntilClosed()
        XCTAssertEqual(silentLines.count, 2, "\(silentLines)")
        XCTAssertTrue(silentLines.first?.hasPrefix("PING ") == true)
        XCTAssertEqual(silentLines.last, "BYE ping timeout")
        await healthy.close()
    }

    func testLinesBeyondTheRateAreDelayedNotDropped() async throws {
        let harness = try await ServerHarness.start(for: self) {
            $0.linesPerSecond = 10
            $0.lineBurst = 3
        }
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")

        let started = ContinuousClock.now
        for index in 0..<13 {
            try await alice.send("line \(index)")
        }
        for index in 0..<13 {
            try await expect(bob, "MSG #lobby alice line \(index)")
        }
        // 3 lines pass at once, the other 10 at 10 per second: at least ~1 s. Only a
        // lower bound: a slow machine can only make it later.
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(900))
        await alice.close()
        await bob.close()
    }

    func testRepeatedLoginFailuresCostMoreEachTime() async throws {
        let harness = try await ServerHarness.start(for: self) {
            $0.loginPenaltyBase = .milliseconds(400)
            $0.maxLoginFailures = 10
        }
        let client = try await harness.connect()
        var replyTimes: [Duration] = []
        for _ in 0..<3 {
            let started = ContinuousClock.now
            try await client.send("/login alice wrong")
            try await expect(client, prefix: "ERR auth-failed ")
            replyTimes.append(ContinuousClock.now - started)
        }
        // No penalty before the first failure; then 400 ms, then 800 ms.
        XCTAssertGreaterThanOrEqual(replyTimes[1], .milliseconds(400))
        XCTAssertGreaterThanOrEqual(replyTimes[2], .milliseconds(800))
        // The penalty is per address too: another account from here waits as well,
        // and that account's success does not clear the failures against alice.
        var started = ContinuousClock.now
        try await client.send("/login bob bob-pw")
        try await expect(client, "OK login bob")
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(1600))
        let next = try await harness.connect()
        started = ContinuousClock.now
        try await next.send("/login carol carol-pw")
        try await expect(next, "OK login carol")
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(1600))
        await client.close()
        await next.close()
    }

    func testBruteForceOfAHundredPasswordsGetsNowhere() async throws {
        let harness = try await ServerHarness.start(for: self) {
            $0.loginPenaltyBase = .milliseconds(1)
            $0.loginPenaltyMax = .milliseconds(20)
        }
        var refusedConnections = 0
        var attempts = 0
        while attempts < 100 {
            let client = try await harness.connect()
            for _ in 0..<3 where attempts < 100 {
                attempts += 1
                try await client.send("/login alice guess-\(attempts)")
                try await expect(client, prefix: "ERR auth-failed ")
            }
            if attempts % 3 == 0 {
                let farewell = try await client.linesUntilClosed()
                XCTAssertEqual(farewell, ["BYE too many failed logins"])
                refusedConnections += 1
            } else {
                await client.close()
            }
        }
        XCTAssertEqual(refusedConnections, 33)
        XCTAssertEqual(harness.logs.all.filter { $0.contains("login failed") }.count, 100)
        // The real user still gets in once the guessing stops.
        let alice = try await harness.login("alice")
        await alice.close()
    }
}
