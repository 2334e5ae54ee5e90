import ChatProtocol
import NIOCore

/// One event's line for many sessions, rendered once in each form a session may
/// want: plain, and with the stored event's id and time in front for sessions that
/// asked for stamps. Each session picks its form on its own loop.
struct Delivery: Sendable {
    /// Nil for lines only sessions that asked for `ids` get (`DMSENT`, `EDMSENT`):
    /// a session that did not ask sees exactly the lines it always did.
    let plain: ByteBuffer?
    /// Nil for lines that carry no stored event (`JOIN`, `LEAVE`): everyone gets `plain`.
    let stamped: ByteBuffer?

    init(_ plain: ByteBuffer) {
        self.plain = plain
        self.stamped = nil
    }

    init(_ event: ServerEvent, stamp: EventStamp?, allocator: ByteBufferAllocator) {
        self.plain = event.rendered(allocator: allocator)
        self.stamped = stamp.map { ServerEvent.stamped($0, event).rendered(allocator: allocator) }
    }

    /// A stored event's line for the sessions that asked for stamps, and no one else.
    init(stampedOnly event: ServerEvent, stamp: EventStamp, allocator: ByteBufferAllocator) {
        self.plain = nil
        self.stamped = ServerEvent.stamped(stamp, event).rendered(allocator: allocator)
    }

    /// The bytes for a session, or nil when the line is not for it.
    func bytes(stamped wantsStamps: Bool) -> ByteBuffer? {
        wantsStamps ? stamped ?? plain : plain
    }
}
