import NIOCore
import XCTest

@testable import ChatServer

/// The login penalty table on its own: no sockets, time passed in through `now:`.
final class LoginThrottleTests: XCTestCase {
    private let base = TimeAmount.milliseconds(250)
    private let cap = TimeAmount.seconds(15)
    private let decay = TimeAmount.seconds(900)
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    private func makeThrottle(maxTrackedKeys: Int = LoginThrottle.defaultMaxTrackedKeys) -> LoginThrottle {
        LoginThrottle(base: base, cap: cap, decay: decay, maxTrackedKeys: maxTrackedKeys)
    }

    /// The wait after `failures` recent failures: base × 2^(failures-1), at most the cap.
    private func penalty(after failures: Int) -> TimeAmount {
        failures == 0 ? .zero : min(.nanoseconds(base.nanoseconds << Int64(failures - 1)), cap)
    }

    private func fail(
        _ throttle: LoginThrottle,
        _ address: String,
        _ account: String,
        times: Int = 1,
        at now: NIODeadline? = nil
    ) {
        for _ in 0..<times {
            throttle.recordFailure(address: address, account: account, now: now ?? start)
        }
    }

    // MARK: - What a success clears

    /// The review's attack: one password tried on account after account, with a
    /// login to the attacker's own account after each guess to wipe the address's
    /// count. Each guess must still wait longer than the one before.
    func testLoggingInToOwnAccountBetweenGuessesDoesNotResetTheAddress() {
        let throttle = makeThrottle()
        let attacker = "203.0.113.7"
        var waited = TimeAmount.zero
        for guess in 0..<10 {
            let victim = "victim\(guess)"
            let wait = throttle.delay(address: attacker, account: victim, now: start)
            XCTAssertEqual(wait, penalty(after: guess), "guess \(guess)")
            waited = waited + wait
            fail(throttle, attacker, victim)
            throttle.recordSuccess(address: attacker, account: "mallory")
        }
        // 0 + 0.25 + 0.5 + 1 + 2 + 4 + 8 + 15 + 15 + 15 s: what ten guesses cost
        // without the logins in between.
        XCTAssertEqual(waited, .milliseconds(60_750))
    }

    /// Two people behind one NAT address: Bob logging in proves nothing about the
    /// guesses at Alice's account, so only Bob's own typos are taken back.
    func testASuccessClearsOnlyTheFailuresAgainstThatAccount() {
        let throttle = makeThrottle()
        let nat = "198.51.100.20"
        fail(throttle, nat, "alice", times: 3)
        fail(throttle, nat, "bob", times: 2)
        XCTAssertEqual(throttle.delay(address: nat, account: "carol", now: start), penalty(after: 5))

        throttle.recordSuccess(address: nat, account: "bob")
        XCTAssertEqual(throttle.delay(address: nat, account: "carol", now: start), penalty(after: 3))
        XCTAssertEqual(throttle.delay(address: nat, account: "bob", now: start), penalty(after: 3))
        XCTAssertEqual(throttle.delay(address: "192.0.2.1", account: "bob", now: start), .zero)
        XCTAssertEqual(throttle.delay(address: "192.0.2.1", account: "alice", now: start), penalty(after: 3))

        throttle.recordSuccess(address: nat, account: "alice")
        XCTAssertEqual(throttle.delay(address: nat, account: "carol", now: start), .zero)
    }

    /// Alice logging in from home clears her account's count, but not what her
    /// typos cost the office address: only a success from there proves those.
    func testASuccessFromOneAddressLeavesOtherAddressesAlone() {
        let throttle = makeThrottle()
        fail(throttle, "192.0.2.10", "alice", times: 2)
        throttle.recordSuccess(address: "192.0.2.99", account: "alice")
        XCTAssertEqual(throttle.delay(address: "192.0.2.99", account: "alice", now: start), .zero)
        XCTAssertEqual(throttle.delay(address: "192.0.2.10", account: "zed", now: start), penalty(after: 2))

        throttle.recordSuccess(address: "192.0.2.10", account: "ALICE")
        XCTAssertEqual(throttle.delay(address: "192.0.2.10", account: "zed", now: start), .zero)
    }

    /// A name that is not a valid account can never log in, so a success under it
    /// proves nothing.
    func testASuccessUnderAnInvalidNameClearsNothing() {
        let throttle = makeThrottle()
        fail(throttle, "192.0.2.10", "not a name", times: 2)
        throttle.recordSuccess(address: "192.0.2.10", account: "not a name")
        XCTAssertEqual(throttle.delay(address: "192.0.2.10", account: "zed", now: start), penalty(after: 2))
        XCTAssertEqual(throttle.delay(address: "192.0.2.11", account: "no such name", now: start), penalty(after: 2))
    }

    /// An address remembers which accounts its failures were against for a few
    /// accounts only; failures beyond those stay until they decay.
    func testFailuresPastTheTrackedAccountsCannotBeTakenBack() {
        let throttle = makeThrottle()
        let tracked = LoginThrottle.maxAccountsPerAddress
        for index in 0...tracked {
            fail(throttle, "192.0.2.1", "user\(index)")
        }
        throttle.recordSuccess(address: "192.0.2.1", account: "user\(tracked)")
        XCTAssertEqual(throttle.delay(address: "192.0.2.1", account: "zed", now: start), penalty(after: tracked + 1))
        for index in 0..<tracked {
            throttle.recordSuccess(address: "192.0.2.1", account: "user\(index)")
        }
        XCTAssertEqual(throttle.delay(address: "192.0.2.1", account: "zed", now: start), penalty(after: 1))
    }

    // MARK: - Account keys

    func testAccountNamesDifferingOnlyInCaseShareOneCount() {
        let throttle = makeThrottle()
        fail(throttle, "192.0.2.1", "Alice")
        fail(throttle, "192.0.2.2", "ALICE")
        fail(throttle, "192.0.2.3", "alice")
        XCTAssertEqual(throttle.delay(address: "192.0.2.4", account: "aLiCe", now: start), penalty(after: 3))
        XCTAssertEqual(throttle.delay(address: "192.0.2.4", account: "alicf", now: start), .zero)
    }

    /// Invalid names all land in one bucket: a flood of them costs one entry, and
    /// the next invalid name waits for all of them.
    func testTenThousandJunkNamesMakeOneBucket() {
        let throttle = makeThrottle()
        let filler = String(repeating: "x", count: 4000)
        for index in 0..<10_000 {
            let junk = index.isMultiple(of: 2) ? "\(filler)\(index)" : "no such:name \(index)"
            fail(throttle, "192.0.2.1", junk)
        }
        XCTAssertEqual(throttle.trackedKeys, 2)
        XCTAssertEqual(throttle.delay(address: "192.0.2.2", account: "", now: start), cap)
        XCTAssertEqual(throttle.delay(address: "192.0.2.2", account: "zed", now: start), .zero)
    }

    func testKeysStayShortWhateverIsTyped() {
        let huge = String(repeating: "a", count: 4096)
        let keys = [
            LoginThrottle.Key(account: huge),
            LoginThrottle.Key(account: String(repeating: "b", count: 32)),
            LoginThrottle.Key(address: huge),
            LoginThrottle.Key(address: String(repeating: "ffff:", count: 800)),
        ]
        for key in keys {
            XCTAssertLessThanOrEqual(String(describing: key).utf8.count, 48, "\(key)")
        }
        XCTAssertEqual(LoginThrottle.Key(account: huge), LoginThrottle.Key(account: huge + "b"))
        // The longest valid names are kept whole, so two of them never share a count.
        XCTAssertNotEqual(
            LoginThrottle.Key(account: String(repeating: "a", count: 31) + "b"),
            LoginThrottle.Key(account: String(repeating: "a", count: 31) + "c")
        )
    }

    // MARK: - Address keys

    func testIPv6AddressesInOneSlash64ShareOneCount() {
        let throttle = makeThrottle()
        fail(throttle, "2001:db8::1", "alice")
        fail(throttle, "2001:db8:0:0:ffff::2", "bob")
        fail(throttle, "2001:0DB8:0000:0000:0000:0000:0000:0003", "carol")
        XCTAssertEqual(throttle.delay(address: "2001:db8::abcd:1234", account: "zed", now: start), penalty(after: 3))
        XCTAssertEqual(throttle.delay(address: "2001:db8:0:1::1", account: "zed", now: start), .zero)
        XCTAssertEqual(throttle.trackedKeys, 4)
    }

    func testIPv4MappedIPv6CountsAsTheIPv4Address() {
        let throttle = makeThrottle()
        fail(throttle, "::ffff:192.0.2.7", "alice")
        fail(throttle, "::ffff:c000:207", "bob")
        XCTAssertEqual(throttle.delay(address: "192.0.2.7", account: "zed", now: start), penalty(after: 2))
        XCTAssertEqual(throttle.delay(address: "::ffff:192.0.2.8", account: "zed", now: start), .zero)
        XCTAssertEqual(LoginThrottle.Key(address: "::ffff:192.0.2.7"), LoginThrottle.Key(address: "192.0.2.7"))
    }

    func testUnparseableAddressesGetTheirOwnKey() {
        XCTAssertEqual(LoginThrottle.Key(address: "unknown"), LoginThrottle.Key(address: "unknown"))
        XCTAssertNotEqual(LoginThrottle.Key(address: "unknown"), LoginThrottle.Key(address: "0.0.0.0"))
        XCTAssertNotEqual(LoginThrottle.Key(address: "unknown"), LoginThrottle.Key(address: "::"))
    }

    // MARK: - Memory and time

    /// A flood of distinct addresses overfills the table: the entries touched least
    /// recently make room, and an attacker still guessing keeps its penalty.
    func testAFloodOfAddressesEvictsTheOldestEntriesOnly() {
        let capacity = 1_000
        let throttle = makeThrottle(maxTrackedKeys: capacity)
        fail(throttle, "192.0.2.1", "early", times: 4, at: start)
        fail(throttle, "192.0.2.200", "alice", times: 5, at: start + .seconds(10))
        for index in 0..<capacity {
            let now = start + .seconds(20) + .milliseconds(Int64(index))
            fail(throttle, "10.0.\(index / 256).\(index % 256)", "flood", at: now)
            if index == capacity / 2 {
                fail(throttle, "192.0.2.200", "alice", at: now)
            }
        }
        XCTAssertEqual(throttle.trackedKeys, capacity)
        let later = start + .seconds(30)
        XCTAssertEqual(throttle.delay(address: "192.0.2.1", account: "zed", now: later), .zero)
        XCTAssertEqual(throttle.delay(address: "192.0.2.9", account: "early", now: later), .zero)
        XCTAssertEqual(throttle.delay(address: "192.0.2.200", account: "zed", now: later), penalty(after: 6))
        XCTAssertEqual(throttle.delay(address: "192.0.2.9", account: "alice", now: later), penalty(after: 6))
        XCTAssertEqual(throttle.delay(address: "10.0.3.231", account: "zed", now: later), penalty(after: 1))
    }

    /// Expired entries are dropped as newer failures arrive, before the table fills.
    func testExpiredEntriesMakeRoomFirst() {
        let capacity = 100
        let throttle = makeThrottle(maxTrackedKeys: capacity)
        for index in 0..<(capacity - 3) {
            fail(throttle, "10.0.0.\(index)", "not a name", at: start)
        }
        fail(throttle, "192.0.2.200", "alice", times: 3, at: start + .seconds(600))
        XCTAssertEqual(throttle.trackedKeys, capacity)
        let afterDecay = start + decay + .seconds(1)
        for index in 0..<50 {
            fail(throttle, "10.0.1.\(index)", "not a name", at: afterDecay)
        }
        XCTAssertEqual(throttle.trackedKeys, 2 + 50 + 1)
        XCTAssertEqual(throttle.delay(address: "192.0.2.200", account: "zed", now: afterDecay), penalty(after: 3))
        XCTAssertEqual(throttle.delay(address: "192.0.2.9", account: "not a name", now: afterDecay), penalty(after: 50))
    }

    /// The table against a plain array kept in the same order, over a random mix of
    /// touches, replacements and removals.
    func testRecencyTableKeepsEntriesInOrderOfLastTouch() {
        var generator = SystemRandomNumberGenerator()
        var table = RecencyTable<Int, Int>(capacity: 16)
        var model: [(key: Int, value: Int)] = []
        for step in 0..<20_000 {
            let key = Int.random(in: 0..<40, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0, 1:
                table.touch(key, setting: step)
                if let index = model.firstIndex(where: { $0.key == key }) {
                    model.remove(at: index)
                } else if model.count == 16 {
                    model.removeFirst()
                }
                model.append((key, step))
            case 2:
                table.replace(key, with: -step)
                if let index = model.firstIndex(where: { $0.key == key }) { model[index].value = -step }
            default:
                table.remove(key)
                model.removeAll { $0.key == key }
            }
            XCTAssertEqual(table.count, model.count)
            XCTAssertEqual(table.leastRecent?.key, model.first?.key)
            XCTAssertEqual(table.leastRecent?.value, model.first?.value)
            XCTAssertEqual(table[key], model.first { $0.key == key }?.value)
        }
        var drained: [Int] = []
        while let oldest = table.leastRecent {
            drained.append(oldest.key)
            table.removeLeastRecent()
        }
        XCTAssertEqual(drained, model.map(\.key))
    }

    func testDelayDoublesUpToTheCap() {
        let throttle = makeThrottle()
        for failures in 0..<12 {
            XCTAssertEqual(throttle.delay(address: "192.0.2.1", account: "alice", now: start), penalty(after: failures))
            fail(throttle, "192.0.2.1", "alice")
        }
        XCTAssertEqual(throttle.delay(address: "192.0.2.1", account: "alice", now: start), cap)
        fail(throttle, "192.0.2.1", "alice", times: 100)
        XCTAssertEqual(throttle.delay(address: "192.0.2.1", account: "alice", now: start), cap)
    }

    func testFailuresAreForgottenAfterAQuietPeriod() {
        let throttle = makeThrottle()
        fail(throttle, "192.0.2.1", "alice", times: 3, at: start)
        XCTAssertEqual(throttle.delay(address: "192.0.2.1", account: "zed", now: start + decay), penalty(after: 3))
        XCTAssertEqual(throttle.delay(address: "192.0.2.9", account: "alice", now: start + decay), penalty(after: 3))
        let quiet = start + decay + .seconds(1)
        XCTAssertEqual(throttle.delay(address: "192.0.2.1", account: "zed", now: quiet), .zero)
        XCTAssertEqual(throttle.delay(address: "192.0.2.9", account: "alice", now: quiet), .zero)
        XCTAssertEqual(throttle.trackedKeys, 0)
    }
}
