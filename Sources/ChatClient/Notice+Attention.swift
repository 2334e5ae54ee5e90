import Foundation

/// Which notices ring the terminal bell: a DM to you (plain or end-to-end), and a
/// room message from someone else that mentions your name as a word (`alice`,
/// `@alice`, `Alice:`, but not `malice`).
extension Notice {
    public func asksForAttention(of me: String) -> Bool {
        switch self {
        case .server(.direct), .encryptedDirect:
            return true
        case .server(.message(_, let sender, let text)):
            return sender.lowercased() != me.lowercased() && Self.mentions(me, in: text)
        default:
            return false
        }
    }

    static func mentions(_ name: String, in text: String) -> Bool {
        let wanted = name.lowercased()
        // Names may hold `.` and `-`, so those stay in words; at a word's ends they
        // are punctuation (`alice.` ending a sentence).
        let words = text.lowercased().split { !($0.isLetter || $0.isNumber || "_.-".contains($0)) }
        return words.contains { $0.trimmingCharacters(in: CharacterSet(charactersIn: ".-")) == wanted }
    }
}
