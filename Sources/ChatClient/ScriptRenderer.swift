import Foundation

/// Script mode output: one plain line per event, no colour, for programs to read.
///
/// Server lines are printed as the server sent them, except `EDM` and `EDMSENT`,
/// which are printed opened: `EDM <sender> <text>`, `EDMSENT <recipient> <text>`.
/// Stamps (`@id=…;time=… `) are the client's business and not printed: an event
/// caught up on after login prints exactly as it would have live. What the client
/// itself has to say is one line starting `WARNING ` (something was refused or
/// looks wrong) or `NOTICE `. Our own messages are not echoed: the server's `OK`
/// lines acknowledge them.
public enum ScriptRenderer {
    public static func render(_ notice: Notice) -> [String] {
        let lines: [String]
        switch notice {
        case .server(let event):
            lines = [event.wireLine]
        case .unrecognizedServerLine(let line):
            lines = [line]
        case .ownRoomMessage, .ownDirect:
            lines = []
        case .encryptedDirect(let sender, let text, let sentAt, let stale):
            lines =
                (stale ? ["WARNING edm-stale \(sender) sent at \(ISO8601DateFormatter().string(from: sentAt)), possibly replayed"] : [])
                + ["EDM \(sender) \(text)"]
        case .encryptedDirectSent(let recipient, let text):
            lines = ["EDMSENT \(recipient) \(text)"]
        case .stored(let notice, _):
            return render(notice)
        case .divider:
            lines = []
        case .rejectedDirect(let sender, let reason):
            lines = ["WARNING edm-rejected \(sender) \(reason)"]
        case .keyPinned(let user, let fingerprint):
            lines = ["NOTICE key-pinned \(user) \(fingerprint)"]
        case .keyChanged(let user, let pinned, let offered):
            lines = ["WARNING key-changed \(user) pinned \(pinned) offered \(offered); nothing is sent to \(user) until /trust \(user) <fingerprint>"]
        case .keyTrusted(let user, let fingerprint):
            lines = ["NOTICE key-trusted \(user) \(fingerprint)"]
        case .fingerprints(let f):
            var text = "NOTICE fingerprints \(f.me) \(f.mine ?? "none"); \(f.user) \(f.pinned ?? "none")"
            if let offered = f.offered { text += "; offered \(offered)" }
            lines = [text]
        case .help(let help):
            lines = help.map { "NOTICE help \($0)" }
        case .warning(let text):
            lines = ["WARNING \(text)"]
        case .note(let text):
            lines = ["NOTICE \(text)"]
        }
        return lines.map(TerminalSafeText.sanitize)
    }
}
