internal import CSodium

/// Secret bytes (a private key, a key derived from a password) in memory from
/// `sodium_malloc`: locked so it is never swapped out, fenced by guard pages, and
/// zeroed by `sodium_free` when the last reference goes.
///
/// Written only while being built (`init(count:fill:)`), read-only afterwards; hence
/// `@unchecked Sendable`.
final class SecretBytes: @unchecked Sendable {
    let count: Int
    private let base: UnsafeMutableRawPointer

    /// - Parameter fill: writes the secret into the fresh buffer; returns false (or
    ///   throws) if it could not, and the half-written buffer is freed and wiped.
    init?(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Bool) rethrows {
        precondition(count > 0, "a secret has at least one byte")
        Sodium.ensureInitialised()
        guard let base = sodium_malloc(count) else { return nil }
        self.count = count
        self.base = base
        guard try fill(UnsafeMutableRawBufferPointer(start: base, count: count)) else {
            // deinit frees and wipes
            return nil
        }
    }

    /// A guarded copy of `bytes`; the caller wipes its own copy.
    static func copying(_ bytes: some Collection<UInt8>) -> SecretBytes {
        let array = ContiguousArray(bytes)
        guard !array.isEmpty,
            let secret = SecretBytes(
                count: array.count,
                fill: { out in
                    array.withUnsafeBytes { out.copyMemory(from: $0) }
                    return true
                })
        else {
            fatalError("cannot allocate guarded memory for a secret")
        }
        return secret
    }

    deinit {
        sodium_free(base)
    }

    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// The C pointer libsodium calls take for this secret.
    func withUnsafePointer<Result>(_ body: (UnsafePointer<UInt8>) throws -> Result) rethrows -> Result {
        try body(base.assumingMemoryBound(to: UInt8.self))
    }
}
