/// Makes text from the network safe to print on a terminal.
///
/// The server already replaces control characters in what it relays, but the client
/// does not rely on that: decrypted end-to-end messages never passed the server's
/// check at all, and a server could be hostile. C0 controls (TAB included: one
/// event stays one line of known width), DEL, C1 controls and the Unicode bidi
/// overrides (which can make text read backwards, e.g. to disguise a name) become
/// U+FFFD.
public enum TerminalSafeText {
    public static func sanitize(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            result.append(isUnsafe(scalar) ? "\u{FFFD}" : scalar)
        }
        return String(result)
    }

    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F, 0x80...0x9F:
            return true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C:
            return true
        default:
            return false
        }
    }
}
