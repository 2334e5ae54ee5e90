import NIOCore

/// Storage one event loop's sessions reuse for their output, pass after pass, instead of
/// each allocating its own and freeing it at the flush: the lists sessions queue lines
/// in, and the buffer a flush gathers several lines into.
///
/// In a busy room every member queues a hundred lines or so per loop pass. A private,
/// doubling buffer per member per pass (~1.5 MB malloc'd and freed per pass with 100
/// members) made glibc hand the memory back to the kernel and page-fault it in again on
/// the next pass. What is kept here is bounded, and per loop: an idle session holds
/// none of it. Used on its loop only.
final class OutboundScratch {
    /// References to queued lines kept in spare lists, at most: 1.5 MiB, enough for
    /// 100 sessions each taking ~500 lines in a pass.
    static let maxSpareLines = 65_536
    /// The largest gather buffer kept: four TLS records' worth. A bigger flush (a reader
    /// catching up after a stall) gets a buffer of its own.
    static let maxGatherCapacity = 64 * 1024

    private var spareLists: [[ByteBuffer]] = []
    private var spareLines = 0
    /// Lists handed out since the last `passEnded()`.
    private var listsTaken = 0
    private var gatherBuffer: ByteBuffer?
    private let allocator: ByteBufferAllocator

    init(allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.allocator = allocator
    }

    /// An empty list, with room for lines if one was given back.
    func takeList() -> [ByteBuffer] {
        listsTaken += 1
        guard let list = spareLists.popLast() else { return [] }
        spareLines -= list.capacity
        return list
    }

    /// Keeps an emptied list's storage for the next session that needs one.
    func keep(emptied list: consuming [ByteBuffer]) {
        assert(list.isEmpty)
        guard list.capacity > 0, spareLines + list.capacity <= Self.maxSpareLines else { return }
        spareLines += list.capacity
        spareLists.append(list)
    }

    /// An empty buffer for at least `capacity` bytes; give it back with
    /// `keep(gathered:)` once written.
    func takeGatherBuffer(capacity: Int) -> ByteBuffer {
        guard gatherBuffer != nil else { return allocator.buffer(capacity: capacity) }
        // In place: the stored buffer is the only reference unless a write still holds
        // it, and then clearing allocates fresh storage instead of overwriting its bytes.
        gatherBuffer!.clear(minimumCapacity: capacity)
        defer { gatherBuffer = nil }
        return gatherBuffer!
    }

    /// The loop's flush pass is over: keeps no more spare lists than this pass used, so
    /// a burst (a login storm's JOIN lines to thousands of members) does not leave its
    /// lists kept while the server idles.
    func passEnded() {
        if listsTaken == 0 {
            spareLists = []
            spareLines = 0
        } else if spareLists.count > listsTaken {
            for list in spareLists[listsTaken...] {
                spareLines -= list.capacity
            }
            spareLists.removeSubrange(listsTaken...)
        }
        listsTaken = 0
    }

    /// Keeps a gather buffer after its write for the next flush.
    func keep(gathered buffer: ByteBuffer) {
        guard buffer.capacity <= Self.maxGatherCapacity else { return }
        gatherBuffer = buffer
    }

    /// What this loop keeps between passes, in bytes of line references and buffer.
    var retainedBytes: Int {
        spareLines * MemoryLayout<ByteBuffer>.stride + (gatherBuffer?.capacity ?? 0)
    }
}
