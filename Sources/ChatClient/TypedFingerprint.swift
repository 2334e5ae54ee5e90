import ChatCrypto

/// A key fingerprint as a person types it after comparing it with its owner (read
/// aloud, or copied from another screen): case, spaces and colons do not matter;
/// every one of its 32 hex digits does, so a prefix is not accepted.
struct TypedFingerprint: Equatable, CustomStringConvertible {
    /// Upper-case hex digits, nothing else.
    let digits: String

    init?(_ text: String) {
        let digits = text.uppercased().filter { $0 != " " && $0 != ":" }
        guard digits.count == KeyFingerprint.displayedBytes * 2, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
            return nil
        }
        self.digits = digits
    }

    func matches(_ fingerprint: KeyFingerprint) -> Bool {
        TypedFingerprint(fingerprint.description) == self
    }

    /// The form `/fingerprint` shows: groups of four.
    var description: String {
        var groups: [Substring] = []
        var rest = Substring(digits)
        while !rest.isEmpty {
            groups.append(rest.prefix(4))
            rest = rest.dropFirst(4)
        }
        return groups.joined(separator: " ")
    }
}
