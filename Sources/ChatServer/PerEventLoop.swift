import NIOCore

/// One `Value` for each of a group's event loops, looked up by loop: the per-loop
/// services (`OutboundFlusher`, `SessionTimeouts`) that let sessions share one task per
/// loop instead of scheduling their own.
struct PerEventLoop<Value: AnyObject>: Sendable {
    private let values: [ObjectIdentifier: NIOLoopBoundBox<Value>]
    private let make: @Sendable (EventLoop) -> Value

    /// Callable off the loops: each value is moved into its box and only ever touched
    /// on its own loop afterwards.
    init(group: EventLoopGroup, _ make: @escaping @Sendable (EventLoop) -> Value) {
        var values: [ObjectIdentifier: NIOLoopBoundBox<Value>] = [:]
        for loop in group.makeIterator() {
            values[ObjectIdentifier(loop)] = .makeBoxSendingValue(make(loop), eventLoop: loop)
        }
        self.values = values
        self.make = make
    }

    /// The value for `eventLoop`; call on that loop.
    func value(for eventLoop: EventLoop) -> Value {
        if let value = values[ObjectIdentifier(eventLoop)] {
            return value.value
        }
        // Not one of the group's loops (cannot happen for server channels); a private
        // value still works, just without sharing.
        return make(eventLoop)
    }
}
