import NIOCore

/// Everything queued for one peer, in order, bounded. The handler appends, and takes
/// the lot when it flushes.
///
/// Lines are held as the very buffers the hub rendered once for all their recipients,
/// never copied on the way in: a flush gathers them once, into the loop's reused
/// `OutboundScratch` buffer, and a lone line goes out as it is. Either way a flush is
/// one write through the pipeline, however many lines it carries. An idle session
/// holds nothing: the list of lines comes from the loop's scratch and goes back to it.
struct OutboundQueue {
    enum Appended: Equatable {
        /// Queued; ask for a flush at the end of the loop pass if true.
        case queued(scheduleFlush: Bool)
        /// Past the limit: a slow consumer, to be cut off. Holds the bytes queued.
        case overflow(Int)
    }

    /// Past this many lines in one pass they are gathered into one buffer of the
    /// session's own, so one pass cannot make a list of unbounded length. A saturated
    /// room of 100 brings ~300 per pass.
    static let maxReferencedLines = 4096

    let limit: Int
    /// The slow-consumer cap counts these: the bytes the peer has yet to be sent.
    private(set) var queuedBytes = 0
    private var first: ByteBuffer?
    /// The lines after `first`; no storage for a lone line.
    private var rest: [ByteBuffer] = []
    private var flushScheduled = false

    init(limit: Int) {
        self.limit = limit
    }

    mutating func append(_ bytes: ByteBuffer, scratch: OutboundScratch) -> Appended {
        queuedBytes += bytes.readableBytes
        if queuedBytes > limit {
            let queued = queuedBytes
            discard(scratch: scratch)
            return .overflow(queued)
        }
        if first == nil {
            first = bytes
        } else {
            if rest.capacity == 0 {
                rest = scratch.takeList()
            }
            rest.append(bytes)
            if rest.count >= Self.maxReferencedLines {
                compact(scratch: scratch)
            }
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

    /// Everything one flush writes, as one buffer.
    struct Batch {
        let bytes: ByteBuffer
        /// In the loop's gather buffer, to give back with `scratch.keep(gathered:)` once
        /// written; false for a lone line, the buffer the hub rendered.
        let isGathered: Bool
    }

    /// Everything queued, to be written now: a lone line as it was rendered, several
    /// gathered into `scratch`'s buffer. Taken before the write, so anything queued
    /// while it runs goes in the next flush instead of being lost with this one.
    mutating func take(scratch: OutboundScratch) -> Batch? {
        guard let first else { return nil }
        defer {
            self.first = nil
            queuedBytes = 0
        }
        if rest.isEmpty {
            return Batch(bytes: first, isGathered: false)
        }
        var gathered = scratch.takeGatherBuffer(capacity: queuedBytes)
        gathered.writeImmutableBuffer(first)
        for line in rest {
            gathered.writeImmutableBuffer(line)
        }
        emptyList(into: scratch)
        return Batch(bytes: gathered, isGathered: true)
    }

    mutating func discard(scratch: OutboundScratch) {
        first = nil
        queuedBytes = 0
        emptyList(into: scratch)
    }

    /// Appends the referenced lines to `first`, which becomes (or already is) a buffer
    /// of the session's own. For a peer that has stopped reading: a reference pins a
    /// whole rendered buffer (~100 bytes of overhead) once everyone else has sent it,
    /// and a stalled session should hold what the cap counts, its queued bytes.
    mutating func compact(scratch: OutboundScratch) {
        guard !rest.isEmpty else { return }
        var merged = first!
        // Released first, so a buffer merged earlier is uniquely held and grows in place.
        first = nil
        merged.reserveCapacity(minimumWritableBytes: queuedBytes - merged.readableBytes)
        for line in rest {
            merged.writeImmutableBuffer(line)
        }
        first = merged
        emptyList(into: scratch)
    }

    /// Drops the references to the lines in `rest` and gives its storage back.
    private mutating func emptyList(into scratch: OutboundScratch) {
        guard rest.capacity > 0 else { return }
        // Emptied here, while this queue holds the only reference, so no copy is made.
        rest.removeAll(keepingCapacity: true)
        var list: [ByteBuffer] = []
        swap(&list, &rest)
        scratch.keep(emptied: list)
    }
}
