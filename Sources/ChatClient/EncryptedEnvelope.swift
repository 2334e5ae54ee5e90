import Foundation

/// What is sealed inside an end-to-end DM: a header line, then the text.
///
/// ```text
/// securechat-e2e v1 <sender> <recipient> <unix milliseconds>
/// <text>
/// ```
///
/// `crypto_box` gives both people of a pair the same key, so the box alone cannot
/// say who sealed it: without the names a server could hand alice her own message
/// back as if bob had written it, or pass a message on to a third session. The
/// receiver checks both names and shows the time, so a message the server replays
/// much later is marked as old.
public struct EncryptedEnvelope: Equatable, Sendable {
    public static let header = "securechat-e2e v1"

    public let sender: String
    public let recipient: String
    public let sentAt: Date
    public let text: String

    public init(sender: String, recipient: String, sentAt: Date, text: String) {
        self.sender = sender
        self.recipient = recipient
        self.sentAt = sentAt
        self.text = text
    }

    public var encoded: [UInt8] {
        let millis = Int64((sentAt.timeIntervalSince1970 * 1000).rounded())
        return Array("\(Self.header) \(sender) \(recipient) \(millis)\n\(text)".utf8)
    }

    public init?(decoding bytes: [UInt8]) {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")),
            let headerLine = String(validating: bytes[..<newline], as: UTF8.self),
            let text = String(validating: bytes[(newline + 1)...], as: UTF8.self)
        else { return nil }
        let words = headerLine.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard words.count == 5, "\(words[0]) \(words[1])" == Self.header,
            !words[2].isEmpty, !words[3].isEmpty, let millis = Int64(words[4])
        else { return nil }
        self.init(sender: words[2], recipient: words[3], sentAt: Date(timeIntervalSince1970: Double(millis) / 1000), text: text)
    }
}
