import Synchronization

/// A process-unique number for one connection; used in logs and as the hub's key.
struct SessionID: Hashable, Sendable, CustomStringConvertible {
    private static let counter = Atomic<UInt64>(0)

    let value: UInt64

    static func next() -> SessionID {
        SessionID(value: counter.add(1, ordering: .relaxed).newValue)
    }

    var description: String { String(value) }
}
