import Foundation

/// An X25519 public key for end-to-end direct messages (`crypto_box`): 32 bytes,
/// exchanged as standard base64 with padding.
public struct BoxPublicKey: Sendable, Hashable, CustomStringConvertible {
    public static let length = 32

    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.length else { return nil }
        self.bytes = Array(bytes)
    }

    /// Accepts only the canonical encoding (44 characters, `=` padded), so one key
    /// has exactly one spelling and comparisons of text never disagree with
    /// comparisons of bytes.
    public init?(base64: String) {
        guard base64.utf8.count == 44, let data = Data(base64Encoded: base64),
            data.base64EncodedString() == base64
        else { return nil }
        self.init(bytes: data)
    }

    public var base64: String {
        Data(bytes).base64EncodedString()
    }

    /// What people compare out of band.
    public var fingerprint: KeyFingerprint {
        KeyFingerprint(publicKey: self)
    }

    public var description: String { base64 }
}
