import ChatStore
import NIOCore

/// A logged-in session as the hub sees it: who it is, which event loop owns it, and a
/// way to hand it bytes on that loop. The hub may hold these from any thread; the
/// handler behind one is only ever touched on its own loop.
final class SessionHandle: Sendable {
    let id: SessionID
    let user: UserName
    let eventLoop: EventLoop
    private let handler: NIOLoopBound<SessionHandler>

    init(id: SessionID, user: UserName, handler: SessionHandler, eventLoop: EventLoop) {
        self.id = id
        self.user = user
        self.eventLoop = eventLoop
        self.handler = NIOLoopBound(handler, eventLoop: eventLoop)
    }

    /// Queues already rendered lines for this session. Must run on `eventLoop`.
    func deliver(_ bytes: ByteBuffer) {
        handler.value.enqueue(bytes)
    }
}
