import NIOCore

/// Buffers that the TLS connections of one event loop share for their output, reused
/// flush after flush: the records a flush encrypts into, and the plaintext a flush of
/// several small writes packs into one record.
///
/// A server flushes each of a room's members in turn at the end of a loop pass; a fresh
/// buffer per member per flush cost a malloc and a free each, and with a hundred members
/// glibc handed the memory back to the kernel between passes and page-faulted it in
/// again. Once written, a buffer comes back here; if the channel still holds it (the
/// socket took only part of it), `ByteBuffer.clear` gives the next flush new storage
/// instead of overwriting bytes not yet sent. Only the loop's owner of a connection may
/// use this, on that loop; what it keeps is bounded and per loop, so an idle
/// connection holds none of it.
public final class TLSWriteBuffers {
    /// The largest buffer kept: four full records. A bigger flush gets its own.
    static let maxKeptCapacity = 4 * (TLSConnection.maxRecordPlaintext + TLSConnection.maxRecordOverhead)

    private var records: ByteBuffer?
    private var plaintext: ByteBuffer?

    public init() {}

    /// An emptied record buffer of at least `capacity` bytes, or nil if none is kept.
    func takeRecordBuffer(capacity: Int) -> ByteBuffer? {
        Self.take(&records, capacity: capacity)
    }

    func keep(records buffer: ByteBuffer) {
        Self.keep(buffer, in: &records)
    }

    /// An emptied plaintext buffer of at least `capacity` bytes, or nil if none is kept.
    func takePlaintextBuffer(capacity: Int) -> ByteBuffer? {
        Self.take(&plaintext, capacity: capacity)
    }

    func keep(plaintext buffer: ByteBuffer) {
        Self.keep(buffer, in: &plaintext)
    }

    /// Bytes kept between flushes.
    var keptCapacity: Int { (records?.capacity ?? 0) + (plaintext?.capacity ?? 0) }

    private static func take(_ slot: inout ByteBuffer?, capacity: Int) -> ByteBuffer? {
        guard slot != nil else { return nil }
        // Cleared in the slot, the only reference unless a write still holds it.
        slot!.clear(minimumCapacity: capacity)
        defer { slot = nil }
        return slot
    }

    private static func keep(_ buffer: ByteBuffer, in slot: inout ByteBuffer?) {
        // Normally the slot is empty (its buffer was taken for this flush); if a write
        // made while the flush ran filled it again, either buffer will do.
        guard slot == nil, buffer.capacity <= maxKeptCapacity else { return }
        slot = buffer
    }
}

@available(*, unavailable)
extension TLSWriteBuffers: Sendable {}
