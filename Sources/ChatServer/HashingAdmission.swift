/// Which password work the authenticator takes on: at most `capacity` logins and
/// password changes under way at once (looking the account up, queued for a hashing
/// thread, or hashing), of which password changes may hold at most
/// `passwordChangeShare`, so sessions hammering `/passwd` cannot starve logins.
///
/// Work past either limit is refused at once, so a flood costs the server almost
/// nothing and no queue grows without bound.
struct HashingAdmission {
    enum Work {
        case login
        case passwordChange
    }

    let capacity: Int
    let passwordChangeShare: Int
    private(set) var inFlight = 0
    private(set) var passwordChangesInFlight = 0

    /// Room for every thread plus `maxQueued` waiting; password changes get half the
    /// threads, at least one.
    init(threads: Int, maxQueued: Int) {
        capacity = max(1, threads) + max(0, maxQueued)
        passwordChangeShare = max(1, threads / 2)
    }

    mutating func admit(_ work: Work) -> Bool {
        guard inFlight < capacity else { return false }
        if case .passwordChange = work {
            guard passwordChangesInFlight < passwordChangeShare else { return false }
            passwordChangesInFlight += 1
        }
        inFlight += 1
        return true
    }

    mutating func finish(_ work: Work) {
        precondition(inFlight > 0, "finished more password work than was admitted")
        inFlight -= 1
        if case .passwordChange = work {
            passwordChangesInFlight -= 1
        }
    }

    var isIdle: Bool { inFlight == 0 }
}
