import ChatCrypto
import ChatServer
import ChatStore
import ChatTLS
import Configuration
import Logging
import NIOCore

/// A value that a file, an environment variable or a flag gave a key, refused with a
/// reason the operator can act on.
struct InvalidSettingValue: Error {
    let reason: String
}

/// How one kind of setting is written and what it means: the type swift-configuration
/// reads (`type`), the check that turns it into the server's value (`decode`), and the
/// way back (`encode`), for flags and `--print-config`.
struct SettingFormat<Value: Equatable & Sendable>: Sendable {
    let type: ConfigType
    /// "an integer", "a number of seconds", …: for "expected …" messages.
    let expected: String
    let decode: @Sendable (ConfigContent) throws(InvalidSettingValue) -> Value
    let encode: @Sendable (Value) -> ConfigContent
}

extension SettingFormat where Value == String {
    /// Any string without control characters; `token` also refuses spaces (the server
    /// name is one word of `HELLO`).
    static func text(token: Bool = false) -> Self {
        Self(
            type: .string, expected: "a string",
            decode: { content throws(InvalidSettingValue) in
                guard case .string(let text) = content else { throw InvalidSettingValue(reason: "expected a string") }
                guard !text.isEmpty else { throw InvalidSettingValue(reason: "must not be empty") }
                guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    throw InvalidSettingValue(reason: "must not contain control characters")
                }
                if token, text.contains(where: \.isWhitespace) {
                    throw InvalidSettingValue(reason: "must be one word, without spaces")
                }
                return text
            }, encode: { .string($0) })
    }
}

extension SettingFormat where Value == Int {
    static func integer(_ range: ClosedRange<Int>) -> Self {
        Self(
            type: .int, expected: "an integer",
            decode: { content throws(InvalidSettingValue) in
                guard case .int(let number) = content else { throw InvalidSettingValue(reason: "expected an integer") }
                guard range.contains(number) else {
                    throw InvalidSettingValue(
                        reason: range.upperBound == .max
                            ? "must be at least \(range.lowerBound), got \(number)"
                            : "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
                }
                return number
            }, encode: { .int($0) })
    }
}

extension SettingFormat where Value == Int {
    /// A TCP port, 1 to 65535; 0 (any free port) passes here and is checked against
    /// `allow-ephemeral-port` once every key is read.
    static var port: Self {
        Self(
            type: .int, expected: "a port number",
            decode: { content throws(InvalidSettingValue) in
                guard case .int(let number) = content else { throw InvalidSettingValue(reason: "expected a port number") }
                guard (0...65_535).contains(number) else {
                    throw InvalidSettingValue(reason: "must be a port between 1 and 65535, got \(number)")
                }
                return number
            }, encode: { .int($0) })
    }
}

extension SettingFormat where Value == Double {
    static var nonNegativeNumber: Self {
        Self(
            type: .double, expected: "a number",
            decode: { content throws(InvalidSettingValue) in
                guard case .double(let number) = content else { throw InvalidSettingValue(reason: "expected a number") }
                guard number.isFinite, number >= 0 else { throw InvalidSettingValue(reason: "must be 0 or more, got \(number)") }
                return number
            }, encode: { .double($0) })
    }
}

extension SettingFormat where Value == Bool {
    static var flag: Self {
        Self(
            type: .bool, expected: "true or false",
            decode: { content throws(InvalidSettingValue) in
                guard case .bool(let flag) = content else { throw InvalidSettingValue(reason: "expected true or false") }
                return flag
            }, encode: { .bool($0) })
    }
}

extension SettingFormat where Value == TimeAmount {
    /// A duration written as seconds, fractions allowed (`0.25`); at most about 115 days.
    static var seconds: Self { seconds(allowingZero: true) }
    /// The same, but more than zero: for a period that paces a loop.
    static var positiveSeconds: Self { seconds(allowingZero: false) }

    private static func seconds(allowingZero: Bool) -> Self {
        Self(
            type: .double, expected: "a number of seconds",
            decode: { content throws(InvalidSettingValue) in
                guard case .double(let seconds) = content else { throw InvalidSettingValue(reason: "expected a number of seconds") }
                guard seconds.isFinite, seconds <= 10_000_000, allowingZero ? seconds >= 0 : seconds > 0 else {
                    let range = allowingZero ? "0 to 10000000" : "more than 0, at most 10000000"
                    throw InvalidSettingValue(reason: "must be \(range) seconds, got \(seconds)")
                }
                return .nanoseconds(Int64((seconds * 1e9).rounded()))
            }, encode: { .double(Double($0.nanoseconds) / 1e9) })
    }
}

extension SettingFormat where Value == Double {
    /// A long span in seconds, for history retention: more than 0, at most 100 years
    /// (3153600000), beyond the 115 days of `seconds`.
    static var longPositiveSeconds: Self {
        Self(
            type: .double, expected: "a number of seconds",
            decode: { content throws(InvalidSettingValue) in
                guard case .double(let seconds) = content else { throw InvalidSettingValue(reason: "expected a number of seconds") }
                guard seconds.isFinite, seconds > 0, seconds <= 3_153_600_000 else {
                    throw InvalidSettingValue(reason: "must be more than 0, at most 3153600000 seconds (100 years), got \(seconds)")
                }
                return seconds
            }, encode: { .double($0) })
    }
}

extension SettingFormat where Value == SQLiteStore.Durability {
    /// SQLite's `synchronous`, in its own words: `normal` or `full`.
    static var synchronous: Self {
        Self(
            type: .string, expected: "normal or full",
            decode: { content throws(InvalidSettingValue) in
                switch content {
                case .string("normal"): return .normal
                case .string("full"): return .full
                default: throw InvalidSettingValue(reason: "expected normal or full, got '\(content.plain)'")
                }
            }, encode: { .string($0 == .full ? "full" : "normal") })
    }
}

extension SettingFormat where Value == MetricsAddress? {
    /// `host:port` (`[v6]:port` for an IPv6 address), or `off`.
    static var listenAddress: Self {
        Self(
            type: .string, expected: "host:port or off",
            decode: { content throws(InvalidSettingValue) in
                guard case .string(let text) = content else { throw InvalidSettingValue(reason: "expected host:port or off") }
                if text == "off" { return nil }
                guard let address = MetricsAddress(text) else {
                    throw InvalidSettingValue(reason: "expected host:port ([v6]:port for IPv6) or off, got '\(text)'")
                }
                return address
            }, encode: { .string($0?.description ?? "off") })
    }
}

extension SettingFormat where Value == TLSProfile {
    static var tlsProfile: Self {
        Self(
            type: .string, expected: "a TLS profile name",
            decode: { content throws(InvalidSettingValue) in
                guard case .string(let name) = content, let profile = TLSProfile(rawValue: name) else {
                    throw InvalidSettingValue(reason: "unknown TLS profile '\(content.plain)' (intermediate or modern)")
                }
                return profile
            }, encode: { .string($0.rawValue) })
    }
}

extension SettingFormat where Value == PasswordCost {
    static let costNames = ["interactive", "moderate", "sensitive", "minimum"]

    static var passwordCost: Self {
        Self(
            type: .string, expected: "a cost name",
            decode: { content throws(InvalidSettingValue) in
                guard case .string(let name) = content, let cost = PasswordCost(name: name) else {
                    throw InvalidSettingValue(reason: "unknown password cost '\(content.plain)'")
                }
                return cost
            },
            encode: { cost in
                .string(costNames.first { PasswordCost(name: $0) == cost } ?? "\(cost)")
            })
    }
}

extension SettingFormat where Value == Logger.Level {
    static var logLevel: Self {
        Self(
            type: .string, expected: "a log level",
            decode: { content throws(InvalidSettingValue) in
                guard case .string(let name) = content, let level = Logger.Level(rawValue: name) else {
                    throw InvalidSettingValue(reason: "unknown log level '\(content.plain)'")
                }
                return level
            }, encode: { .string($0.rawValue) })
    }
}

extension ConfigContent {
    /// A string as it is, anything else as `shown`: for messages that quote a value.
    var plain: String {
        if case .string(let text) = self { return text }
        return shown
    }

    /// The value as written in a file: strings quoted (JSON rules, which YAML
    /// accepts), numbers without a needless `.0`.
    var shown: String {
        switch self {
        case .string(let text):
            var quoted = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": quoted += "\\\""
                case "\\": quoted += "\\\\"
                default: quoted.unicodeScalars.append(scalar)
                }
            }
            return quoted + "\""
        case .int(let number): return "\(number)"
        case .double(let number):
            return number == number.rounded() && abs(number) < 1e15 ? "\(Int64(number))" : "\(number)"
        case .bool(let flag): return "\(flag)"
        default: return "\(self)"
        }
    }
}
