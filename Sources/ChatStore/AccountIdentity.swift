/// An account's identity: the row id the store gave it at creation. The store never
/// hands the same id out twice, so an account deleted and re-created under the same
/// name is a different account, and nothing granted to the old one reaches the new.
public struct AccountID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int64

    public init(_ rawValue: Int64) {
        self.rawValue = rawValue
    }

    public var description: String { "\(rawValue)" }
}

/// Which credentials a session was admitted with: the account, and the generation of
/// its credentials at that moment.
///
/// Every change that should end the account's sessions (a lock, an unlock, a new
/// password, deletion) raises the generation, so a session holding an older stamp
/// knows it no longer speaks for the account. A hash upgrade at login (same password,
/// new parameters) does not.
public struct CredentialStamp: Hashable, Sendable, CustomStringConvertible {
    public let account: AccountID
    public let generation: Int64

    public init(account: AccountID, generation: Int64) {
        self.account = account
        self.generation = generation
    }

    public var description: String { "\(account)@\(generation)" }
}

/// An account as the change feed reports it after a credential change.
public enum AccountStatus: Sendable, Equatable {
    case active(generation: Int64)
    case locked(generation: Int64)
    case deleted

    /// Whether a session admitted with `stamp` may go on.
    public func admits(_ stamp: CredentialStamp) -> Bool {
        switch self {
        case .active(let generation): stamp.generation >= generation
        case .locked, .deleted: false
        }
    }
}

/// One entry of the store's change feed: account `account` changed; this is its status
/// now.
public struct AccountChange: Sendable, Equatable {
    /// Position in the feed; ask for changes after the last one seen.
    public let sequence: Int64
    public let account: AccountID
    public let status: AccountStatus

    public init(sequence: Int64, account: AccountID, status: AccountStatus) {
        self.sequence = sequence
        self.account = account
        self.status = status
    }
}
