internal import CSodium

/// SHA-256, for fingerprints of keys and certificates (libsodium's
/// `crypto_hash_sha256`).
public enum SHA256 {
    public static let length = 32

    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        Sodium.ensureInitialised()
        // A one-byte array stands in for an empty input: libsodium's pointers are non-null.
        let input = bytes.isEmpty ? [0] : Array(bytes)
        var digest = [UInt8](repeating: 0, count: length)
        _ = crypto_hash_sha256(&digest, input, UInt64(bytes.count))
        return digest
    }

    /// `AB:CD:…`: the form `openssl x509 -noout -fingerprint -sha256` prints, so a
    /// certificate's fingerprint can be checked with standard tools.
    public static func colonHex(_ digest: [UInt8]) -> String {
        digest.map { hexByte($0) }.joined(separator: ":")
    }

    /// Parses `colonHex` output (either case); nil for anything else.
    public static func parseColonHex(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == length else { return nil }
        var digest: [UInt8] = []
        for part in parts {
            guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            digest.append(byte)
        }
        return digest
    }

    static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}

/// The fingerprint of an end-to-end public key: the first 128 bits of its SHA-256,
/// as eight groups of four hex digits (`5C1F 9A2B …`), short enough to read aloud.
///
/// 128 bits suffice: to pass off a key of their own as someone's, an attacker must
/// match that person's existing fingerprint (a second preimage, ~2^128 work), not
/// merely find two keys that collide. Being a plain SHA-256 of the 32 key bytes, it
/// can be recomputed from a `KEY` line with `base64 -d | sha256sum`.
public struct KeyFingerprint: Sendable, Hashable, CustomStringConvertible {
    public static let displayedBytes = 16

    /// The full SHA-256 of the key.
    public let digest: [UInt8]

    public init(publicKey: BoxPublicKey) {
        self.digest = SHA256.hash(publicKey.bytes)
    }

    public var description: String {
        let hex = digest.prefix(Self.displayedBytes).map { SHA256.hexByte($0) }.joined()
        var groups: [Substring] = []
        var rest = Substring(hex)
        while !rest.isEmpty {
            groups.append(rest.prefix(4))
            rest = rest.dropFirst(4)
        }
        return groups.joined(separator: " ")
    }
}
