import ChatModel
import ChatProtocol
import ChatStore
import NIOCore

/// A logged-in session as the hub sees it: who it is, which event loop owns it, and a
/// way to hand it bytes on that loop. The hub may hold these from any thread; the
/// handler behind one is only ever touched on its own loop.
final class SessionHandle: Sendable {
    let id: SessionID
    let user: UserName
    /// The credentials the session logged in with. The generation may since have
    /// moved on (the session's own `/passwd`): the session itself knows its current
    /// one; the hub uses this only for the account's identity and at registration.
    let credential: CredentialStamp
    let eventLoop: EventLoop
    private let handler: NIOLoopBound<SessionHandler>

    init(id: SessionID, login: VerifiedLogin, handler: SessionHandler, eventLoop: EventLoop) {
        self.id = id
        self.user = login.user
        self.credential = login.credential
        self.eventLoop = eventLoop
        self.handler = NIOLoopBound(handler, eventLoop: eventLoop)
    }

    /// Queues an already rendered line for this session, in the form it asked for.
    /// Must run on `eventLoop`.
    func deliver(_ delivery: Delivery) {
        handler.value.enqueue(delivery)
    }

    /// Sends `event` to this session from any thread: it is rendered and queued on
    /// the session's loop.
    func send(_ event: ServerEvent) {
        eventLoop.execute { [handler] in handler.value.send(event) }
    }

    /// Tells the session that its message was stored under `stamp`, from any thread;
    /// only a session that asked for stamps hears of it (`OK <command> <details>` with
    /// the stamp in front).
    func acknowledgeStored(_ stamp: EventStamp, command: String, details: String) {
        eventLoop.execute { [handler] in handler.value.acknowledgeStored(stamp, command: command, details: details) }
    }

    /// `acknowledgeStored`, already on `eventLoop`.
    func acknowledgeStoredOnLoop(_ acknowledgement: StoredAcknowledgement) {
        handler.value.acknowledgeStored(acknowledgement.stamp, command: acknowledgement.command, details: acknowledgement.details)
    }

    /// Tells the session its account changed. Must run on `eventLoop`.
    func credentialsChanged(_ status: AccountStatus) {
        handler.value.credentialsChanged(status)
    }
}
