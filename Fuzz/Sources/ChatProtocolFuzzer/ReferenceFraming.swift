import ChatProtocol

/// PROTOCOL.md's framing rules applied to a whole byte stream at once, written
/// independently of `LineFrameDecoder` (no search window, no scan offset, the
/// standard library's validating `String` initialiser instead of a UTF-8 decoder).
///
/// Whatever the cuts between reads, the real decoder must produce the same lines
/// and fail on the same input.
enum ReferenceFraming {
    struct Outcome: Equatable, CustomStringConvertible {
        var lines: [InboundLine] = []
        var tooLong = false

        /// Lines as their bytes, so that a report shows invisible characters.
        var description: String {
            let lines = self.lines.map { line -> String in
                guard case .text(let text) = line else {
                    return "badEncoding"
                }
                return "text(\(Array(text.utf8)))"
            }
            return "\(lines) tooLong=\(self.tooLong)"
        }
    }

    static func decode(_ bytes: [UInt8], maxLineLength: Int) -> Outcome {
        var outcome = Outcome()
        var start = 0
        while start < bytes.count {
            guard let lf = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                // An unterminated tail fails once no LF can end it within the limit:
                // more than limit + CR, or exactly limit + 1 bytes not ending in CR.
                let tail = bytes[start...]
                outcome.tooLong =
                    tail.count > maxLineLength + 1
                    || (tail.count == maxLineLength + 1 && tail.last != UInt8(ascii: "\r"))
                return outcome
            }
            var content = bytes[start..<lf]
            if content.last == UInt8(ascii: "\r") {
                content = content.dropLast()
            }
            guard content.count <= maxLineLength else {
                outcome.tooLong = true
                return outcome
            }
            if let line = self.classify(content) {
                outcome.lines.append(line)
            }
            start = lf + 1
        }
        return outcome
    }

    /// `nil` for a blank line, which produces nothing.
    private static func classify(_ content: ArraySlice<UInt8>) -> InboundLine? {
        if content.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
            return nil
        }
        guard let text = String(validating: content, as: UTF8.self),
            !text.unicodeScalars.contains(where: \.isProtocolControl)
        else {
            return .badEncoding
        }
        return .text(text)
    }
}
