import ChatCrypto
import ChatProtocol

/// The length checks on typed lines, in one place: a line longer than the server
/// accepts makes it close the session (`ERR line-too-long`, then disconnect), so the
/// client refuses such a line before sending anything, and says why.
///
/// The limit is the protocol's default line length. An operator may lower it; a
/// client cannot learn the server's value, so the default is the best it knows.
extension ClientSession {
    static let maxLineLength = ProtocolLimits.defaultMaxLineLength

    /// Why `line`, as typed, cannot be sent; nil when it can. Measured on what would
    /// go on the wire: a sealed `/emsg` for an end-to-end `/msg`, the rendered
    /// command otherwise.
    func lengthRefusal(_ line: String) -> String? {
        if identity != nil, let (user, text) = Self.endToEndDM(line) {
            let most = maxEncryptedTextLength(to: user)
            let bytes = text.utf8.count
            if bytes > most {
                return "too long for an end-to-end DM: \(bytes) bytes of text, at most \(most); nothing sent"
            }
            let sealedLine = "/emsg \(user) ".utf8.count + Self.base64Length(sealedLength(text, to: user))
            return sealedLine > Self.maxLineLength ? tooLong(sealedLine) : nil
        }
        let bytes = outgoingLine(line).utf8.count
        return bytes > Self.maxLineLength ? tooLong(bytes) : nil
    }

    private func tooLong(_ bytes: Int) -> String {
        "too long to send: \(bytes) bytes, the server takes at most \(Self.maxLineLength) per line; nothing sent"
    }

    /// Bytes of text that fit one end-to-end DM to `user` (the envelope's header and
    /// the box's nonce and tag take the rest of the payload).
    func maxEncryptedTextLength(to user: String) -> Int {
        ProtocolLimits.maxEncryptedPayloadLength / 4 * 3 - sealedLength("", to: user)
    }

    private func sealedLength(_ text: String, to user: String) -> Int {
        DirectMessageBox.sealedLength(plaintextLength: envelope(text, to: user).encoded.count)
    }

    /// The line `process` sends for a typed line that is not an end-to-end DM.
    private func outgoingLine(_ line: String) -> String {
        guard line.hasPrefix("/"), !line.hasPrefix("//") else { return line }
        let (word, rest) = Self.splitWord(String(line.dropFirst()))
        switch word.lowercased() {
        case "plain":
            let (user, text) = Self.splitWord(rest)
            return ClientCommand.msg(user: user, text: text).rendered
        case "me":
            return ClientCommand.message(Self.action(rest)).rendered
        case "passwd":
            guard case .success(let command) = ClientCommand.parse(line) else { return line }
            return command.rendered
        default:
            return line
        }
    }

    /// The user and text of a typed `/msg <user> <text>`.
    static func endToEndDM(_ line: String) -> (user: String, text: String)? {
        guard line.hasPrefix("/") else { return nil }
        let (word, rest) = splitWord(String(line.dropFirst()))
        guard word.lowercased() == "msg" else { return nil }
        let (user, text) = splitWord(rest)
        guard !user.isEmpty, !text.isEmpty else { return nil }
        return (user, text)
    }
}
