/// A key press, decoded from the bytes a terminal sends in raw mode.
public enum Key: Equatable, Sendable {
    /// Printable text (one or more characters).
    case text(String)
    case enter
    case backspace
    case delete
    case left, right, home, end, up, down
    /// Ctrl-C
    case interrupt
    /// Ctrl-D
    case endOfInput
    /// Ctrl-U: erase the whole line.
    case eraseLine
    /// Ctrl-K: erase to the end.
    case eraseToEnd
    /// Ctrl-W: erase the word before the cursor.
    case eraseWord
    /// Ctrl-L
    case redraw
}

/// Turns raw terminal input into `Key`s: UTF-8 (also split across reads), control
/// keys, and the common ANSI escape sequences (`ESC [ …` and `ESC O …`). Anything
/// else (unknown sequences, invalid UTF-8, other control bytes) is dropped, so no
/// control character ever reaches the line being typed.
public struct KeyDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Key] {
        pending.append(contentsOf: bytes)
        var keys: [Key] = []
        var index = 0
        var text = ""
        func flushText() {
            if !text.isEmpty {
                keys.append(.text(text))
                text = ""
            }
        }
        decoding: while index < pending.count {
            let byte = pending[index]
            switch byte {
            case 0x1B:
                guard let (key, length) = Self.escape(pending[index...]) else { break decoding }  // incomplete: wait
                flushText()
                if let key { keys.append(key) }
                index += length
            case 0x00...0x1F, 0x7F:
                flushText()
                if let key = Self.control(byte) { keys.append(key) }
                index += 1
            case 0x80...:
                let length = Self.utf8Length(byte)
                guard length > 0 else {
                    index += 1
                    continue
                }
                guard index + length <= pending.count else { break decoding }  // rest comes later
                if let scalar = String(validating: pending[index..<(index + length)], as: UTF8.self),
                    !scalar.unicodeScalars.contains(where: TerminalSafeText.isUnsafe)
                {
                    text += scalar
                }
                index += length
            default:
                text.unicodeScalars.append(Unicode.Scalar(byte))
                index += 1
            }
        }
        flushText()
        pending.removeFirst(index)
        return keys
    }

    private static func control(_ byte: UInt8) -> Key? {
        switch byte {
        case 0x0D, 0x0A: return .enter
        case 0x7F, 0x08: return .backspace
        case 0x03: return .interrupt
        case 0x04: return .endOfInput
        case 0x15: return .eraseLine
        case 0x0B: return .eraseToEnd
        case 0x17: return .eraseWord
        case 0x0C: return .redraw
        case 0x01: return .home
        case 0x05: return .end
        case 0x02: return .left
        case 0x06: return .right
        case 0x10: return .up
        case 0x0E: return .down
        default: return nil
        }
    }

    /// The key of the escape sequence at the start of `bytes` and its length; nil
    /// if the sequence is not complete yet; a nil key for sequences we ignore.
    private static func escape(_ bytes: ArraySlice<UInt8>) -> (Key?, Int)? {
        let start = bytes.startIndex
        guard bytes.count >= 2 else { return nil }
        let introducer = bytes[start + 1]
        if introducer == UInt8(ascii: "O") {
            guard bytes.count >= 3 else { return nil }
            return (arrowOrHome(bytes[start + 2]), 3)
        }
        guard introducer == UInt8(ascii: "[") else {
            return (nil, 2)  // Alt-something: ignored
        }
        // CSI: parameter bytes 0x30–0x3F, intermediates 0x20–0x2F, then a final byte.
        var index = start + 2
        while index < bytes.endIndex, (0x20...0x3F).contains(bytes[index]) {
            index += 1
        }
        guard index < bytes.endIndex else { return nil }
        let final = bytes[index]
        let length = index - start + 1
        let parameters = String(decoding: bytes[(start + 2)..<index], as: UTF8.self)
        if final == UInt8(ascii: "~") {
            switch parameters {
            case "1", "7": return (.home, length)
            case "4", "8": return (.end, length)
            case "3": return (.delete, length)
            default: return (nil, length)
            }
        }
        return (parameters.isEmpty || parameters == "1" ? arrowOrHome(final) : nil, length)
    }

    private static func arrowOrHome(_ byte: UInt8) -> Key? {
        switch byte {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return .right
        case UInt8(ascii: "D"): return .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        default: return nil
        }
    }

    private static func utf8Length(_ lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return 0
        }
    }
}
