import ChatProtocol

/// How the fuzzer's bytes are read: a header byte picks the line limit, a second
/// byte picks how the payload is cut into reads, and the rest is what a client sent.
struct FuzzInput {
    /// The decoder's limit: usually tiny, so that short inputs reach every limit
    /// path; the server's default when the header's top bit is set.
    let maxLineLength: Int
    /// 0: one read; 1: one read per byte; otherwise a seed for reads of 1–16 bytes.
    let chunkSeed: UInt8
    let payload: [UInt8]

    init?(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 2 else {
            return nil
        }
        let header = data[0]
        self.maxLineLength =
            header & 0x80 != 0 ? ProtocolLimits.defaultMaxLineLength : Int(header & 0x3F) + 1
        self.chunkSeed = data[1]
        self.payload = Array(data[2...])
    }

    /// The payload cut into the reads the decoder is fed, in order.
    func reads() -> [ArraySlice<UInt8>] {
        switch self.chunkSeed {
        case 0:
            return [self.payload[...]]
        case 1:
            return self.payload.indices.map { self.payload[$0...$0] }
        default:
            var reads: [ArraySlice<UInt8>] = []
            var state = UInt32(self.chunkSeed) | 0x100
            var start = 0
            while start < self.payload.count {
                // xorshift32: deterministic, so a crash replays with the same cuts.
                state ^= state << 13
                state ^= state >> 17
                state ^= state << 5
                let end = min(self.payload.count, start + Int(state % 16) + 1)
                reads.append(self.payload[start..<end])
                start = end
            }
            return reads
        }
    }
}
