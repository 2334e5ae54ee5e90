import ChatStore

/// Proof that a password was checked against the store. Only `Authenticator` can make
/// one, and the session's authenticated state cannot be entered without it.
struct VerifiedLogin: Sendable, Equatable {
    let user: UserName

    /// Deliberately the only initialiser; keep it out of reach of anything but
    /// `Authenticator.verifyLogin`.
    fileprivate init(user: UserName) {
        self.user = user
    }
}

extension Authenticator {
    /// Outcome of a login attempt. `rejected` carries the real reason for the log; the
    /// peer sees one generic reply whatever it is.
    enum LoginOutcome: Sendable {
        case verified(VerifiedLogin)
        case rejected(reason: String)
        case busy
    }

    static func makeVerifiedLogin(_ user: UserName) -> VerifiedLogin {
        VerifiedLogin(user: user)
    }
}
