import Foundation
internal import CSodium

/// Hashes and verifies passwords with Argon2id in libsodium's self-describing string
/// format (`$argon2id$v=19$m=65536,t=2,p=1$salt$hash`), so a stored hash carries its
/// own cost and salt and old hashes keep verifying after the default cost changes.
///
/// Every call blocks its thread for the whole Argon2id run and holds `cost.memLimit`
/// bytes meanwhile: servers call it off their event loops, on a bounded pool.
public struct PasswordHasher: Sendable {
    public let cost: PasswordCost

    public init(cost: PasswordCost = .interactive) {
        self.cost = cost
    }

    /// A new Argon2id hash of `password` with a fresh random salt.
    public func hash(_ password: String) throws -> String {
        Sodium.ensureInitialised()
        var output = ContiguousArray<CChar>(repeating: 0, count: crypto_pwhash_strbytes())
        // errno is read right after the call, before cleanup code can change it.
        let (status, failure) = Self.withPassword(password) { bytes, length in
            output.withUnsafeMutableBufferPointer { out -> (Int32, Int32) in
                guard let outBase = out.baseAddress else { return (-1, EINVAL) }
                let status = crypto_pwhash_str_alg(
                    outBase, bytes, length, cost.opsLimit, cost.memLimit,
                    crypto_pwhash_alg_argon2id13()
                )
                return (status, errno)
            }
        }
        guard status == 0 else {
            // libsodium reports the cause only through errno; anything but a failed
            // allocation means it rejected the password (our costs are always valid).
            throw failure == ENOMEM ? PasswordHashError.outOfMemory : PasswordHashError.invalidPassword
        }
        let terminator = output.firstIndex(of: 0) ?? output.endIndex
        return String(decoding: output[..<terminator].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches `hash`. A malformed, truncated or empty hash is
    /// simply a mismatch: stored data must never crash a login.
    public func verify(_ password: String, against hash: String) -> Bool {
        // A real hash always fits libsodium's fixed buffer; refusing longer strings up
        // front keeps arbitrary text from reaching the decoder.
        guard hash.utf8.count < crypto_pwhash_strbytes() else { return false }
        Sodium.ensureInitialised()
        let status = hash.withCString { hashPointer in
            Self.withPassword(password) { bytes, length in
                crypto_pwhash_str_verify(hashPointer, bytes, length)
            }
        }
        return status == 0
    }

    /// Whether `hash` was made with a cost (or algorithm) other than `self.cost`, so
    /// the caller should store a new hash after the next successful login.
    public func needsRehash(_ hash: String) -> Bool {
        // libsodium 1.0.18 also accepts argon2i strings here; we only ever write
        // argon2id, so anything else is due for replacement.
        guard hash.hasPrefix("$argon2id$"), hash.utf8.count < crypto_pwhash_strbytes() else {
            return true
        }
        Sodium.ensureInitialised()
        return hash.withCString { hashPointer in
            crypto_pwhash_str_needs_rehash(hashPointer, cost.opsLimit, cost.memLimit) != 0
        }
    }

    /// Hands libsodium a NUL-terminated copy of the password's UTF-8 bytes and wipes
    /// that copy afterwards. The terminator keeps the buffer non-empty, so an empty
    /// password still has a valid base address (libsodium's pointers are non-null);
    /// the length passed excludes it, so interior NULs are hashed like any byte.
    private static func withPassword<Result>(
        _ password: String,
        _ body: (UnsafePointer<CChar>, UInt64) -> Result
    ) -> Result {
        var bytes = password.utf8CString
        defer { Sodium.wipe(&bytes) }
        let length = UInt64(bytes.count - 1)
        return bytes.withUnsafeBufferPointer { buffer in
            // utf8CString always holds at least the terminator.
            guard let base = buffer.baseAddress else { preconditionFailure("utf8CString is never empty") }
            return body(base, length)
        }
    }
}
