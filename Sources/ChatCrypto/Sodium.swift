internal import CSodium

/// The one place that touches libsodium's global state.
///
/// `sodium_init()` picks the fastest implementations for this CPU and opens the
/// randomness source; it must run before any hashing. A global `let` is initialised
/// lazily and exactly once (Swift guards it with `swift_once`), so every thread that
/// hashes first passes through here without a lock of our own.
enum Sodium {
    private static let initialised: Bool = sodium_init() >= 0

    /// Crashes when libsodium cannot start: that only happens without a randomness
    /// source, and hashing passwords with a predictable salt is worse than stopping.
    static func ensureInitialised() {
        guard initialised else {
            fatalError("libsodium failed to initialise (no randomness source?)")
        }
    }

    /// Overwrites a temporary copy of a secret with zeros in a way the optimiser
    /// cannot remove, so the plaintext does not linger in freed heap memory.
    static func wipe<Element>(_ buffer: inout ContiguousArray<Element>) {
        buffer.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            sodium_memzero(base, bytes.count)
        }
    }
}
