import ChatProtocol
import NIOCore
import Synchronization

/// One event's line for many sessions, rendered once in each form a session may
/// want: plain, and with the stored event's id and time in front for sessions that
/// asked for stamps. Each session picks its form on its own loop.
struct Delivery: Sendable {
    /// Nil for lines only sessions that asked for `ids` get (`DMSENT`, `EDMSENT`):
    /// a session that did not ask sees exactly the lines it always did.
    let plain: ByteBuffer?
    /// Nil for lines that carry no stored event (`JOIN`, `LEAVE`): everyone gets `plain`.
    private let stamped: StampedLine?

    init(_ plain: ByteBuffer) {
        self.plain = plain
        self.stamped = nil
    }

    init(_ event: ServerEvent, stamp: EventStamp?, allocator: ByteBufferAllocator) {
        self.plain = event.rendered(allocator: allocator)
        self.stamped = stamp.map { StampedLine(event, stamp: $0, allocator: allocator) }
    }

    /// A stored event's line for the sessions that asked for stamps, and no one else.
    init(stampedOnly event: ServerEvent, stamp: EventStamp, allocator: ByteBufferAllocator) {
        self.plain = nil
        self.stamped = StampedLine(event, stamp: stamp, allocator: allocator)
    }

    /// The bytes for a session, or nil when the line is not for it.
    func bytes(stamped wantsStamps: Bool) -> ByteBuffer? {
        guard wantsStamps, let stamped else { return plain }
        return stamped.bytes
    }
}

/// The stamped form of a line, rendered by the first session that wants it. Most
/// recipients never do (only clients that asked for ids), and rendering it for every
/// stored message cost the saturated fan-out more than the allocation of this box.
final class StampedLine: Sendable {
    private let event: ServerEvent
    private let stamp: EventStamp
    private let allocator: ByteBufferAllocator
    private let rendered = Mutex<ByteBuffer?>(nil)

    init(_ event: ServerEvent, stamp: EventStamp, allocator: ByteBufferAllocator) {
        self.event = event
        self.stamp = stamp
        self.allocator = allocator
    }

    var bytes: ByteBuffer {
        rendered.withLock { rendered in
            if let rendered { return rendered }
            let bytes = ServerEvent.stamped(stamp, event).rendered(allocator: allocator)
            rendered = bytes
            return bytes
        }
    }
}
