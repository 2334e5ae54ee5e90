/// A feature a client turns on for its session with `/cap req`, in the spirit of
/// IRCv3 capability negotiation: a server offers what it knows (`/cap ls`), and a
/// session that asked for nothing sees exactly the lines it always did, so
/// `openssl s_client` users and older clients are never surprised.
public enum Capability: String, CaseIterable, Sendable {
    /// Stored events (`MSG`, `DM`, `EDM`, `HISTORY`, offline DMs, the sender's
    /// `OK say`/`OK msg`/`OK emsg`) arrive with `@id=<n>;time=<time>` in front, and
    /// the account's other sessions see the DMs it sends (`DMSENT`, `EDMSENT`).
    case ids

    /// The word that turns a capability off in `/cap req`: `-ids`.
    public static let disablePrefix: Character = "-"
}
