/// The name of a chat room: `#` followed by 1–32 ASCII letters, digits, `_` or `-`.
///
/// Room names are case-insensitive: `#Rust` and `#rust` are the same room. The
/// spelling of whoever created the room is kept in ``display`` so it can be shown
/// back, while equality and hashing use only ``key``. Restricting names to ASCII
/// keeps that comparison trivial and rules out look-alike (homoglyph) rooms.
public struct RoomName: Hashable, Sendable, CustomStringConvertible {
    /// The longest name after the `#`; keeps `ROOMS` lines and room tables bounded.
    static let maxLength = 32

    /// The name as its creator typed it, e.g. `#Rust`.
    public let display: String
    /// The lowercased name, used for comparisons and hashing.
    public let key: String

    /// Validates `text`; returns `nil` unless it is `#` followed by 1–32 of `[A-Za-z0-9_-]`.
    public init?(_ text: String) {
        let bytes = text.utf8
        guard bytes.first == UInt8(ascii: "#") else { return nil }
        let body = bytes.dropFirst()
        guard (1...Self.maxLength).contains(body.count), body.allSatisfy(Self.isNameByte) else {
            return nil
        }
        self.init(validated: text)
    }

    private init(validated text: String) {
        self.display = text
        // Only ASCII got this far, so a byte-wise ASCII lowering is exact and locale-free.
        self.key = String(decoding: text.utf8.map(Self.asciiLowercased), as: UTF8.self)
    }

    /// The room every user joins at login.
    public static let lobby = RoomName(validated: "#lobby")

    public var description: String { self.display }

    public static func == (lhs: RoomName, rhs: RoomName) -> Bool {
        lhs.key == rhs.key
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.key)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 0x20 : byte
    }
}
