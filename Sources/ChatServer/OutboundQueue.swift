import NIOCore

/// Everything queued for one peer, in order, bounded. Pure: the handler appends,
/// and takes the lot when it flushes.
///
/// Nil when nothing is queued, so an idle session holds no output buffer. A lone line
/// is the very buffer the hub rendered once for all its recipients (no copy: the TLS
/// handler encrypts from it); a second line before the flush makes it this session's
/// own buffer (copy-on-write). Either way a flush is one write through the pipeline,
/// however many lines it carries.
struct OutboundQueue {
    enum Appended: Equatable {
        /// Queued; ask for a flush at the end of the loop pass if true.
        case queued(scheduleFlush: Bool)
        /// Past the limit: a slow consumer, to be cut off. Holds the bytes queued.
        case overflow(Int)
    }

    let limit: Int
    private var buffer: ByteBuffer?
    private var flushScheduled = false

    init(limit: Int) {
        self.limit = limit
    }

    var queuedBytes: Int { buffer?.readableBytes ?? 0 }

    mutating func append(_ bytes: ByteBuffer) -> Appended {
        if buffer == nil {
            buffer = bytes
        } else {
            var bytes = bytes
            buffer!.writeBuffer(&bytes)
        }
        if queuedBytes > limit {
            let queued = queuedBytes
            buffer = nil
            return .overflow(queued)
        }
        // Lines queued in the same event loop pass leave together: one TLS record and
        // one write instead of one per line.
        defer { flushScheduled = true }
        return .queued(scheduleFlush: !flushScheduled)
    }

    /// The scheduled flush is running.
    mutating func flushStarted() {
        flushScheduled = false
    }

    /// Everything queued, to be written now. Taken before the write, so anything
    /// queued while it runs goes in the next flush instead of being lost with this one.
    mutating func take() -> ByteBuffer? {
        defer { buffer = nil }
        return buffer
    }

    mutating func discard() {
        buffer = nil
    }
}
