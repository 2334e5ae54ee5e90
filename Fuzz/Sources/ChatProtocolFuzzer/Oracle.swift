/// Stops the fuzzer with a message; libFuzzer then saves the input that caused it.
///
/// The message goes through `fatalError`, which writes it to stderr unbuffered
/// (a `print` would be lost with the process).
func violation(_ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("oracle violation: \(message())", file: file, line: line)
}

func check(
    _ condition: Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition {
        violation(message(), file: file, line: line)
    }
}

extension Unicode.Scalar {
    /// PROTOCOL.md's forbidden characters, written independently of ChatProtocol:
    /// C0 controls except TAB, DEL, and the C1 controls.
    var isProtocolControl: Bool {
        (self.value < 0x20 && self != "\t") || self.value == 0x7F || (0x80...0x9F).contains(self.value)
    }

    var isBlank: Bool {
        self == " " || self == "\t"
    }
}
