internal import CSodium

/// Compares secrets (tokens, MACs, keys) in time that depends only on their length,
/// so a peer cannot learn how many leading bytes it guessed right.
public enum SecretComparison {
    /// True when both hold the same bytes. Lengths are not secret: a length mismatch
    /// returns false at once.
    public static func equal(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        var left = ContiguousArray(a)
        var right = ContiguousArray(b)
        defer {
            Sodium.wipe(&left)
            Sodium.wipe(&right)
        }
        guard left.count == right.count else { return false }
        // Empty arrays have no base address; two empty secrets are equal.
        guard !left.isEmpty else { return true }
        return left.withUnsafeBytes { l in
            right.withUnsafeBytes { r in
                guard let lBase = l.baseAddress, let rBase = r.baseAddress else { return false }
                return sodium_memcmp(lBase, rBase, l.count) == 0
            }
        }
    }
}
