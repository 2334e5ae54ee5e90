import NIOCore

/// What every fan-out message carries in its text: who sent it, its number in that
/// sender's sequence, and when it was (or was scheduled to be) sent, in nanoseconds
/// of the generator's monotonic clock. Padding follows to reach the payload size.
///
/// Sent as `<sender> <sequence> <nanoseconds> <padding>`; received inside
/// `MSG <room> <user> <text>`.
struct MessageStamp: Equatable {
    let sender: Int
    let sequence: Int
    let sentNanoseconds: UInt64

    /// Appends the message line (with LF) to `buffer`, padded with `x` so the text is
    /// at least `payloadBytes` long.
    func write(to buffer: inout ByteBuffer, payloadBytes: Int) {
        let start = buffer.writerIndex
        buffer.writeString(String(sender))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(String(sequence))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(String(sentNanoseconds))
        buffer.writeInteger(UInt8(ascii: " "))
        let written = buffer.writerIndex - start
        buffer.writeRepeatingByte(UInt8(ascii: "x"), count: max(1, payloadBytes - written))
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// The stamp in a server `MSG` line, or nil if the line is anything else.
    static func parse(messageLine line: String) -> MessageStamp? {
        var line = line
        return line.withUTF8 { bytes in parse(bytes) }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> MessageStamp? {
        let space = UInt8(ascii: " ")
        guard bytes.count > 4, bytes[0] == UInt8(ascii: "M"), bytes[1] == UInt8(ascii: "S"),
            bytes[2] == UInt8(ascii: "G"), bytes[3] == space
        else { return nil }
        // Skip "MSG", the room and the user: the text starts after the third space.
        var index = 4
        var spaces = 1
        while index < bytes.count, spaces < 3 {
            if bytes[index] == space { spaces += 1 }
            index += 1
        }
        var numbers: (UInt64, UInt64, UInt64) = (0, 0, 0)
        for field in 0..<3 {
            var value: UInt64 = 0
            var digits = 0
            while index < bytes.count, bytes[index] != space {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10, digits < 19 else { return nil }
                value = value * 10 + UInt64(digit)
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            index += 1
            switch field {
            case 0: numbers.0 = value
            case 1: numbers.1 = value
            default: numbers.2 = value
            }
        }
        return MessageStamp(sender: Int(numbers.0), sequence: Int(numbers.1), sentNanoseconds: numbers.2)
    }
}
