extension LineFrameDecoder {
    enum Classification: Equatable {
        /// Empty, or only spaces and TABs.
        case blank
        /// Not UTF-8, or holds a forbidden control character.
        case invalid
        case valid
    }

    /// Decides whether a line's bytes (terminator removed) may reach the server.
    ///
    /// Uses the standard library's strict UTF-8 decoder, which rejects overlong
    /// forms, encoded surrogates, code points above U+10FFFF and stray
    /// continuation bytes, where `String(decoding:)` would silently repair them.
    static func classify<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Classification {
        if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
            return .blank
        }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar.isForbiddenControl {
                    return .invalid
                }
            case .emptyInput:
                return .valid
            case .error:
                return .invalid
            }
        }
    }
}

extension Unicode.Scalar {
    /// C0 controls except TAB, DEL and the C1 controls.
    ///
    /// These can end or forge lines (CR, NEL), or drive other users' terminals
    /// (ESC starts ANSI sequences, U+009B is a one-character CSI), so no client
    /// text containing them is ever relayed. TAB is harmless and people paste it.
    var isForbiddenControl: Bool {
        switch self.value {
        case 0x09:
            return false
        case 0x00...0x1F, 0x7F, 0x80...0x9F:
            return true
        default:
            return false
        }
    }
}
