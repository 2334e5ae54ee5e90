import NIOCore
import NIOConcurrencyHelpers

/// Makes repeated login failures expensive: each recent failure from an address or
/// for an account doubles the wait before that address's or account's next attempt
/// is checked, up to a cap. A success clears both; failures are forgotten after a
/// quiet period.
///
/// The wait is applied before the password check, to known and unknown accounts
/// alike, so it reveals nothing about which accounts exist. Counting per account as
/// well as per address slows a botnet spreading guesses over many addresses; the cost
/// is that an attacker can delay (never block) a victim's login, by at most the cap.
final class LoginThrottle: Sendable {
    private struct Record {
        var failures: Int
        var lastFailure: NIODeadline
    }

    /// Bounds memory under a flood of distinct addresses and names.
    static let maxTrackedKeys = 50_000

    private let records = NIOLockedValueBox<[String: Record]>([:])
    private let base: TimeAmount
    private let cap: TimeAmount
    private let decay: TimeAmount

    init(base: TimeAmount, cap: TimeAmount, decay: TimeAmount) {
        self.base = base
        self.cap = cap
        self.decay = decay
    }

    /// How long the next attempt from `address` for `account` must wait.
    func delay(address: String, account: String, now: NIODeadline = .now()) -> TimeAmount {
        let failures = records.withLockedValue { records in
            [Self.addressKey(address), Self.accountKey(account)].map { key -> Int in
                guard let record = records[key] else { return 0 }
                if now - record.lastFailure > decay {
                    records[key] = nil
                    return 0
                }
                return record.failures
            }.max() ?? 0
        }
        guard failures > 0, base > .zero else { return .zero }
        // 2^(failures-1) × base, without overflowing on a long run of failures.
        let doublings = min(failures - 1, 30)
        let nanoseconds = base.nanoseconds.multipliedReportingOverflow(by: Int64(1) << doublings)
        if nanoseconds.overflow { return cap }
        return min(.nanoseconds(nanoseconds.partialValue), cap)
    }

    func recordFailure(address: String, account: String, now: NIODeadline = .now()) {
        records.withLockedValue { records in
            if records.count >= Self.maxTrackedKeys {
                records = records.filter { now - $0.value.lastFailure <= decay }
                if records.count >= Self.maxTrackedKeys { records.removeAll(keepingCapacity: true) }
            }
            for key in [Self.addressKey(address), Self.accountKey(account)] {
                let failures = (records[key]?.failures ?? 0) + 1
                records[key] = Record(failures: failures, lastFailure: now)
            }
        }
    }

    func recordSuccess(address: String, account: String) {
        records.withLockedValue { records in
            records[Self.addressKey(address)] = nil
            records[Self.accountKey(account)] = nil
        }
    }

    private static func addressKey(_ address: String) -> String { "ip:" + address }
    private static func accountKey(_ account: String) -> String { "user:" + account.lowercased() }
}
