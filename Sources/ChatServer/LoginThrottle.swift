import NIOConcurrencyHelpers
import NIOCore

/// Makes repeated login failures expensive: each recent failure from an address or
/// for an account doubles the wait before that address's or account's next attempt
/// is checked, up to a cap. Failures are forgotten after a quiet period.
///
/// The wait is applied before the password check, to known and unknown accounts
/// alike, so it reveals nothing about which accounts exist. Counting per account as
/// well as per address slows a botnet spreading guesses over many addresses; the cost
/// is that an attacker can delay (never block) a victim's login, by at most the cap.
///
/// A success takes back only the failures it explains (see `recordSuccess`), so a
/// guesser cannot reset its address's count by logging in to an account of its own,
/// and people sharing a NAT address cannot clear each other's penalties.
final class LoginThrottle: Sendable {
    private struct Record: Sendable {
        var failures: Int
        var lastFailure: NIODeadline
        /// An address's failures against each of the first accounts it failed on.
        /// Failures past `maxAccountsPerAddress` accounts stay in `failures` with no
        /// account to their name: no success can take them back, so the bound errs
        /// on the side of the penalty.
        var failuresByAccount: [(account: Key, failures: Int)] = []

        init(lastFailure: NIODeadline) {
            self.failures = 0
            self.lastFailure = lastFailure
        }

        mutating func countFailure(against account: Key) {
            if let index = failuresByAccount.firstIndex(where: { $0.account == account }) {
                failuresByAccount[index].failures += 1
            } else if failuresByAccount.count < LoginThrottle.maxAccountsPerAddress {
                failuresByAccount.append((account, 1))
            }
        }
    }

    /// Bounds memory under a flood of distinct addresses and names. Measured at about
    /// 250 bytes an entry, 670 when every address tracks eight 32-character names:
    /// 12–33 MB when full.
    static let defaultMaxTrackedKeys = 50_000
    /// Enough for a household or an office behind one address to each mistype. The
    /// bound cannot help a guesser: failures left untracked are cleared only by time.
    static let maxAccountsPerAddress = 8

    /// The wait after one failure, its cap, and how long a failure is remembered.
    /// SIGHUP may replace them (`update(base:cap:decay:)`); each call reads them once.
    struct Policy: Sendable {
        var base: TimeAmount
        var cap: TimeAmount
        var decay: TimeAmount
    }

    private let records: NIOLockedValueBox<RecencyTable<Key, Record>>
    private let policy: NIOLockedValueBox<Policy>

    init(base: TimeAmount, cap: TimeAmount, decay: TimeAmount, maxTrackedKeys: Int = LoginThrottle.defaultMaxTrackedKeys) {
        // A failure writes two entries; with room for fewer, the second would evict the first.
        precondition(maxTrackedKeys >= 2, "the penalty table needs room for an address and an account")
        self.records = NIOLockedValueBox(RecencyTable(capacity: maxTrackedKeys))
        self.policy = NIOLockedValueBox(Policy(base: base, cap: cap, decay: decay))
    }

    /// New penalties from a reloaded configuration; the failures on record stay.
    func update(base: TimeAmount, cap: TimeAmount, decay: TimeAmount) {
        policy.withLockedValue { $0 = Policy(base: base, cap: cap, decay: decay) }
    }

    /// Addresses and accounts with failures on record, expired ones included until
    /// they are next looked at.
    var trackedKeys: Int {
        records.withLockedValue { $0.count }
    }

    /// How long the next attempt from `address` for `account` must wait.
    func delay(address: String, account: String, now: NIODeadline = .now()) -> TimeAmount {
        let addressKey = Key(address: address)
        let accountKey = Key(account: account)
        let (base, cap, decay) = policy.withLockedValue { ($0.base, $0.cap, $0.decay) }
        let failures = records.withLockedValue { records in
            max(
                liveRecord(addressKey, in: &records, now: now, decay: decay)?.failures ?? 0,
                liveRecord(accountKey, in: &records, now: now, decay: decay)?.failures ?? 0
            )
        }
        guard failures > 0, base > .zero else { return .zero }
        // 2^(failures-1) × base, without overflowing on a long run of failures.
        let doublings = min(failures - 1, 30)
        let nanoseconds = base.nanoseconds.multipliedReportingOverflow(by: Int64(1) << doublings)
        if nanoseconds.overflow { return cap }
        return min(.nanoseconds(nanoseconds.partialValue), cap)
    }

    func recordFailure(address: String, account: String, now: NIODeadline = .now()) {
        let addressKey = Key(address: address)
        let accountKey = Key(account: account)
        let decay = policy.withLockedValue { $0.decay }
        records.withLockedValue { records in
            // The table is ordered by last failure, so whatever has expired sits at
            // the old end: dropping it here keeps a full table full of live entries,
            // and eviction then takes the oldest of those.
            while let oldest = records.leastRecent, now - oldest.value.lastFailure > decay {
                records.removeLeastRecent()
            }
            // Both are read before either is written: inserting one may evict the other.
            var addressRecord = liveRecord(addressKey, in: &records, now: now, decay: decay) ?? Record(lastFailure: now)
            var accountRecord = liveRecord(accountKey, in: &records, now: now, decay: decay) ?? Record(lastFailure: now)
            addressRecord.failures += 1
            addressRecord.lastFailure = now
            if accountKey.isAccount {
                addressRecord.countFailure(against: accountKey)
            }
            accountRecord.failures += 1
            accountRecord.lastFailure = now
            records.touch(addressKey, setting: addressRecord)
            records.touch(accountKey, setting: accountRecord)
        }
    }

    /// A success proves that someone at `address` knows `account`'s password. That
    /// explains the failures against the account (typos, an old password), so they
    /// are taken back: the account's whole count, and this address's failures against
    /// it. It proves nothing about the address's failures against other accounts (a
    /// guesser who also owns an account, another person behind the same NAT), nor
    /// about other addresses, so those stay.
    func recordSuccess(address: String, account: String) {
        let accountKey = Key(account: account)
        // An invalid name cannot really succeed; if it ever did, clearing the shared
        // bucket of invalid names would help everyone who sprays them.
        guard accountKey.isAccount else { return }
        let addressKey = Key(address: address)
        records.withLockedValue { records in
            records.remove(accountKey)
            guard var record = records[addressKey],
                let index = record.failuresByAccount.firstIndex(where: { $0.account == accountKey })
            else { return }
            record.failures -= record.failuresByAccount.remove(at: index).failures
            if record.failures > 0 {
                records.replace(addressKey, with: record)
            } else {
                records.remove(addressKey)
            }
        }
    }

    private func liveRecord(_ key: Key, in records: inout RecencyTable<Key, Record>, now: NIODeadline, decay: TimeAmount) -> Record? {
        guard let record = records[key] else { return nil }
        if now - record.lastFailure > decay {
            records.remove(key)
            return nil
        }
        return record
    }
}
