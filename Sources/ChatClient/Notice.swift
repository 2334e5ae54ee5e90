import ChatProtocol
import Foundation

/// Something to show the person, in either mode. Renderers decide the look:
/// `TerminalRenderer` for people, `ScriptRenderer` for programs.
public enum Notice: Equatable, Sendable {
    /// A line from the server, shown according to its kind.
    case server(ServerEvent)
    /// A line from the server that is not one of the protocol's (from a newer
    /// server, or malformed): shown as it came, never guessed at.
    case unrecognizedServerLine(String)
    /// Our own room message, echoed (the server does not send it back to us).
    case ownRoomMessage(room: String?, sender: String, text: String)
    /// A DM we sent; `encrypted` says whether the server could read it.
    case ownDirect(recipient: String, text: String, encrypted: Bool)
    /// An end-to-end DM, opened and checked. `stale` when its timestamp is far from
    /// now (a replay, or a badly set clock).
    case encryptedDirect(sender: String, text: String, sentAt: Date, stale: Bool)
    /// An end-to-end DM this account sent, from another device or while this one
    /// was away (`EDMSENT`), opened and checked.
    case encryptedDirectSent(recipient: String, text: String)
    /// A stored event shown apart from live traffic, with when the server stored
    /// it: caught up on after being away, or paged back to with `/back`.
    indirect case stored(Notice, storedAt: Date)
    /// Where such a section begins or ends (`while you were away`); people see it,
    /// scripts do not.
    case divider(String)
    /// An end-to-end DM that was not shown, and why.
    case rejectedDirect(sender: String, reason: String)
    /// A key pinned on first use.
    case keyPinned(user: String, fingerprint: String)
    /// The server offers a key for `user` that is not the pinned one.
    case keyChanged(user: String, pinned: String, offered: String)
    case keyTrusted(user: String, fingerprint: String)
    case fingerprints(Fingerprints)
    /// The client's own help, shown before the server's.
    case help([String])
    /// Something went wrong or looks wrong; always shown prominently.
    case warning(String)
    /// Client information.
    case note(String)

    public struct Fingerprints: Equatable, Sendable {
        public var me: String
        public var mine: String?
        public var user: String
        public var pinned: String?
        /// What the server now offers, when it differs from the pin (or there is no pin yet).
        public var offered: String?
    }
}
