import ChatModel
import ChatStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LoginThrottle {
    /// What a failure count is kept under. Each key is held inline in a few dozen
    /// bytes whatever the peer typed, so neither a 4 KB name nor a long address text
    /// makes an entry bigger.
    enum Key: Hashable, Sendable, CustomStringConvertible {
        case ipv4(UInt32)
        /// The first 64 bits of an IPv6 address. One subscriber usually gets a whole
        /// /64 and picks addresses in it freely, so counting single addresses would
        /// give each guesser 2^64 fresh counts.
        case ipv6Network(UInt64)
        /// Text that is not an IP address (`unknown`, say), cut to `ShortText.capacity`
        /// bytes: cutting can only make two peers share a count, never split one.
        case otherAddress(ShortText)
        /// The canonical, lowercased name: `Alice` and `alice` are one account.
        case account(ShortText)
        /// Every name that is not a valid account name. Such a name can never log
        /// in, so nothing is lost by lumping them together, and a flood of distinct
        /// junk names costs one entry and still builds up a penalty.
        case invalidAccount

        init(address text: String) {
            // A scope (`fe80::1%eth0`) names the interface, not another host.
            let host = text.prefix { $0 != "%" }
            // INET6_ADDRSTRLEN less its terminator: nothing longer can parse.
            if host.utf8.count <= 45, let key = Self.parseIP(String(host)) {
                self = key
            } else {
                self = .otherAddress(ShortText(text))
            }
        }

        init(account text: String) {
            self = UserName(text).map { .account(ShortText($0.key)) } ?? .invalidAccount
        }

        var isAccount: Bool {
            if case .account = self { true } else { false }
        }

        var description: String {
            switch self {
            case .ipv4(let address):
                return (0..<4).map { String(address >> (24 - 8 * $0) & 0xff) }.joined(separator: ".")
            case .ipv6Network(let prefix):
                let groups = (0..<4).map { String(prefix >> (48 - 16 * $0) & 0xffff, radix: 16) }
                return groups.joined(separator: ":") + "::/64"
            case .otherAddress(let text):
                return "address \(text)"
            case .account(let name):
                return "account \(name)"
            case .invalidAccount:
                return "invalid account names"
            }
        }

        private static func parseIP(_ text: String) -> Key? {
            var ipv4 = in_addr()
            if inet_pton(AF_INET, text, &ipv4) == 1 {
                return .ipv4(UInt32(bigEndian: ipv4.s_addr))
            }
            var ipv6 = in6_addr()
            guard inet_pton(AF_INET6, text, &ipv6) == 1 else { return nil }
            return withUnsafeBytes(of: &ipv6) { bytes -> Key in
                // An IPv4 client reaching a dual-stack socket shows up as
                // ::ffff:a.b.c.d; it is still that one IPv4 address.
                let isMappedIPv4 = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
                if isMappedIPv4 {
                    return .ipv4(bytes[12..<16].reduce(0) { $0 << 8 | UInt32($1) })
                }
                return .ipv6Network(bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) })
            }
        }
    }

    /// Up to 32 bytes of text in four inline words: a valid account name always
    /// fits whole (`UserName` allows at most 32 ASCII characters), and storing it
    /// inline spares each entry an allocation.
    struct ShortText: Hashable, Sendable, CustomStringConvertible {
        static let capacity = 32

        private let words: (UInt64, UInt64, UInt64, UInt64)

        init(_ text: some StringProtocol) {
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &words) { buffer in
                for (offset, byte) in zip(buffer.indices, text.utf8) {
                    buffer[offset] = byte
                }
            }
            self.words = words
        }

        var description: String {
            withUnsafeBytes(of: words) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }

        static func == (lhs: ShortText, rhs: ShortText) -> Bool {
            lhs.words == rhs.words
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
            hasher.combine(words.2)
            hasher.combine(words.3)
        }
    }
}
