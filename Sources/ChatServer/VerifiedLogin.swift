import ChatModel
import ChatStore

/// Proof that a password was checked against the store. Only `Authenticator` can make
/// one, and the session's authenticated state cannot be entered without it.
///
/// It names the account by identity and credential generation as well as by name: a
/// session speaks for that account only while the generation is current, and never
/// for a different account later created under the same name.
struct VerifiedLogin: Sendable, Equatable {
    let user: UserName
    let credential: CredentialStamp

    /// Deliberately the only initialiser; keep it out of reach of anything but
    /// `Authenticator`.
    fileprivate init(user: UserName, credential: CredentialStamp) {
        self.user = user
        self.credential = credential
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

    static func makeVerifiedLogin(_ user: UserName, _ credential: CredentialStamp) -> VerifiedLogin {
        VerifiedLogin(user: user, credential: credential)
    }
}
