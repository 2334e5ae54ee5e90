internal import CSodium

/// How much work Argon2id does per hash: `opsLimit` passes over `memLimit` bytes.
///
/// Only libsodium's named presets can be built, so a cost can never fall outside the
/// limits libsodium accepts and `hash(_:)` never fails for a bad cost.
public struct PasswordCost: Sendable, Equatable, CustomStringConvertible {
    public let opsLimit: UInt64
    /// Bytes of memory each hash or verify holds while it runs.
    public let memLimit: Int

    private init(opsLimit: Int, memLimit: Int) {
        self.opsLimit = UInt64(opsLimit)
        self.memLimit = memLimit
    }

    /// libsodium INTERACTIVE (t=2, 64 MiB, ~0.1 s here): the default for logins.
    public static let interactive = PasswordCost(
        opsLimit: crypto_pwhash_opslimit_interactive(),
        memLimit: crypto_pwhash_memlimit_interactive()
    )

    /// libsodium MODERATE (t=3, 256 MiB, ~1 s here).
    public static let moderate = PasswordCost(
        opsLimit: crypto_pwhash_opslimit_moderate(),
        memLimit: crypto_pwhash_memlimit_moderate()
    )

    /// libsodium SENSITIVE (t=4, 1 GiB, ~5 s here).
    public static let sensitive = PasswordCost(
        opsLimit: crypto_pwhash_opslimit_sensitive(),
        memLimit: crypto_pwhash_memlimit_sensitive()
    )

    /// The smallest cost libsodium accepts. It offers no protection against offline
    /// guessing: use it only to keep tests and benchmarks fast.
    public static let minimum = PasswordCost(
        opsLimit: crypto_pwhash_opslimit_min(),
        memLimit: crypto_pwhash_memlimit_min()
    )

    private static let named: [(name: String, cost: PasswordCost)] = [
        ("interactive", .interactive),
        ("moderate", .moderate),
        ("sensitive", .sensitive),
        ("minimum", .minimum),
    ]

    /// One of "interactive", "moderate", "sensitive" or "minimum"; nil otherwise.
    public init?(name: String) {
        guard let match = Self.named.first(where: { $0.name == name }) else { return nil }
        self = match.cost
    }

    public var description: String {
        let name = Self.named.first(where: { $0.cost == self })?.name ?? "custom"
        return "\(name) (t=\(opsLimit), \(Self.formatBytes(memLimit)))"
    }

    private static func formatBytes(_ bytes: Int) -> String {
        let mebibyte = 1 << 20
        if bytes >= mebibyte, bytes % mebibyte == 0 { return "\(bytes / mebibyte) MiB" }
        if bytes >= 1024, bytes % 1024 == 0 { return "\(bytes / 1024) KiB" }
        return "\(bytes) bytes"
    }
}
