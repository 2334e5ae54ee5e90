/// A validated account name.
///
/// Names are 1–32 characters from `[A-Za-z0-9_.-]`: no spaces, colons, control
/// characters or Unicode, so a name can be printed in logs, protocol lines and
/// `chat-useradd list` without escaping and cannot impersonate another name through
/// look-alike characters. Identity is case-insensitive (`Alice` and `alice` are one
/// account) while the spelling chosen at creation is kept for display.
public struct UserName: Hashable, Sendable, CustomStringConvertible {
    /// The spelling given when the account was created.
    public let display: String
    /// The lowercased form used for lookups, uniqueness and ordering.
    public let key: String

    static let maximumLength = 32

    public init?(_ text: String) {
        let scalars = text.unicodeScalars
        guard (1...Self.maximumLength).contains(scalars.count),
            scalars.allSatisfy(Self.isAllowed)
        else { return nil }
        self.display = text
        // Only ASCII is allowed, so lowercasing cannot change the length or depend
        // on locale rules.
        self.key = text.lowercased()
    }

    /// Rebuilds a name read back from the store, which validated it on insert.
    /// `package`, not `public`: only code in this package (the store) may skip the
    /// check.
    package init(storedDisplay display: String, key: String) {
        self.display = display
        self.key = key
    }

    public var description: String { display }

    public static func == (lhs: UserName, rhs: UserName) -> Bool {
        lhs.key == rhs.key
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(key)
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-": true
        default: false
        }
    }
}
