import ChatModel
import ChatProtocol
import ChatStore
import ChatTLS
import Logging
import NIOCore

/// One connection's chat session, behind the TLS handler. It frames the plaintext into
/// lines, moves lines and bytes, and carries out decisions made elsewhere:
/// `LineFramer`, `SessionStateMachine`, `InputGate`, `OutboundQueue` (in
/// `SessionOutbox`), `SessionDeadlines`; logging in is in `SessionHandler+Login.swift`,
/// a logged-in session's commands in `SessionCommands`.
final class SessionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let id = SessionID.next()
    let services: SessionServices
    /// Shown in `HELLO`.
    private let serverName: String
    var logger: Logger { services.logger }
    /// The peer's IP address, for login penalties and logs.
    private(set) var peerAddress = "unknown"
    private(set) var peerPort = 0
    /// Set at login; kept after logout so the closing log line still names the user.
    private(set) var loggedInUser: UserName?

    private var machine: SessionStateMachine
    /// Lines are framed here rather than by a `ByteToMessageHandler` in front: one
    /// handler, with its context and buffers (~0.5 KiB), fewer per connection, and no
    /// trip through the pipeline per line.
    private var framer: LineFramer
    private var gate: InputGate
    private let outbox: SessionOutbox
    private var deadlines: SessionDeadlines
    /// Where this session's plain lines go: the room it joined last, else `#lobby`.
    /// Its own, even for the same account on two connections; the rooms themselves
    /// belong to the account (the hub knows them).
    private(set) var currentRoom: RoomName?
    /// Whether the client asked for stored events' ids and times (`/cap req ids`).
    private(set) var wantsStamps = false
    /// Set while logged in; the hub holds it too. Dropped on close to break the cycle.
    private(set) var handle: SessionHandle?
    private var context: ChannelHandlerContext?
    private var gauge: ServerMetrics.ConnectionGauges.Position

    /// Time limits are checked by the loop's `SessionTimeouts`, not by timers of our
    /// own.
    private let timeouts: SessionTimeouts

    init(
        services: SessionServices,
        settings: Settings,
        flusher: OutboundFlusher,
        timeouts: SessionTimeouts,
        now: NIODeadline = .now()
    ) {
        self.services = services
        self.gauge = .init(services.metrics?.connections)
        self.serverName = settings.serverName
        self.timeouts = timeouts
        self.machine = SessionStateMachine(maxLoginFailures: settings.maxLoginFailures)
        self.framer = LineFramer(maxLineLength: settings.maxLineLength)
        self.gate = InputGate(settings, now: now)
        self.outbox = SessionOutbox(limit: settings.maxOutboundQueueBytes, flusher: flusher)
        self.deadlines = SessionDeadlines(settings, now: now)
    }

    /// Closing or closed: nothing more is read, handled or queued.
    var isClosing: Bool { machine.isClosed }
    var eventLoop: EventLoop? { context?.eventLoop }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        gauge.move(to: .handshaking)
        outbox.attach(context)
        if let peer = context.channel.remoteAddress {
            peerAddress = peer.ipAddress ?? "unknown"
            peerPort = peer.port ?? 0
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        detach()
        self.context = nil
    }

    private func detach() {
        gauge.move(to: nil)
        timeouts.forget(self)
        outbox.detach()
    }

    func channelActive(context: ChannelHandlerContext) {
        log(.info, "connection opened")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Closing wins over anything that completes later: a login that finishes after
        // its connection reset must not leave a session without a socket.
        machine.connectionClosed()
        detach()
        if let handle {
            services.router.unregister(handle)
            self.handle = nil
        }
        gate.discard()
        framer.reset()
        log(.info, "connection closed")
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let event as TLSEvent:
            switch event {
            case .handshakeCompleted(let info):
                log(.debug, "TLS established", ["protocol": "\(info.protocolVersion)", "cipher": "\(info.cipher)"])
                gauge.move(to: .awaitingLogin)
                send(.hello(server: serverName, text: "welcome; log in with /login <name> <password>"))
                deadlines.started(now: context.eventLoop.now)
                timeouts.watch(self)
            }
        case is ChannelShouldQuiesceEvent:
            perform(machine.closeRequested(farewell: "server shutting down"))
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case let error as TLSError where error.kind == .uncleanShutdown:
            log(.debug, "peer closed without close_notify")
        case let error as TLSError:
            if gauge.state == .handshaking { services.metrics?.handshakeFailures.increment() }
            log(.info, "TLS failure", ["kind": "\(error.kind.rawValue)", "detail": "\(error.diagnostics)"])
            closeNow()
        default:
            log(.info, "connection error", ["error": "\(error)"])
            closeNow()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !isClosing else { return }
        framer.append(unwrapInboundIn(data))
        do {
            while !isClosing, let line = try framer.nextLine() {
                lineReceived(line, now: context.eventLoop.now)
            }
        } catch {
            // Only `LineTooLongError`: the stream cannot be framed any further.
            let limit = framer.maxLineLength
            log(.notice, "line too long, closing", ["limit": "\(limit)"])
            send(.error(.lineTooLong, "lines are limited to \(limit) bytes"))
            perform(machine.closeRequested(farewell: nil))
        }
    }

    /// A complete line: it waits its turn in the gate, which may find it one too many.
    private func lineReceived(_ line: InboundLine, now: NIODeadline) {
        deadlines.inputReceived(now: now)
        switch gate.received(line, loggedIn: machine.isAuthenticated) {
        case .held:
            processPendingLines()
        case .flood:
            log(.notice, "too many lines before login, closing", ["lines": "\(gate.pendingCount)"])
            gate.discard()
            send(.error(.flood, "too many lines before login"))
            perform(machine.closeRequested(farewell: "excess flood"))
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        outbox.writabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if gate.readRequested() {
            context.read()
        }
    }

    // MARK: Lines and actions

    /// Handles waiting lines in order until one starts an operation or the rate
    /// limit says wait; then resumes reading once nothing blocks.
    private func processPendingLines() {
        guard let context else { return }
        lines: while !isClosing {
            switch gate.next(now: context.eventLoop.now) {
            case .handle(let line):
                perform(machine.lineReceived(line))
            case .wait(let wait):
                services.metrics?.rateLimitDelays.increment()
                context.eventLoop.assumeIsolated().scheduleTask(in: wait) { [self] in
                    gate.rateWaitEnded()
                    processPendingLines()
                }
                break lines
            case .idle:
                break lines
            }
        }
        if gate.takeHeldRead() {
            context.read()
        }
    }

    func perform(_ action: SessionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .reply(let events):
            events.forEach(send)
        case .verifyLogin(let name, let password):
            verifyLogin(name: name, password: password)
        case .enterHub(let login):
            enterHub(login, prefetch: nil)
        case .perform(let command, let login):
            services.commands.run(command, as: login, for: self)
        case .changePassword(let login, let old, let new):
            services.commands.changePassword(login, old: old, new: new, for: self)
        case .negotiate(let changes, let reply):
            for (capability, enabled) in changes {
                switch capability {
                case .ids: wantsStamps = enabled
                }
            }
            send(reply)
        case .farewell(let events):
            events.forEach(send)
            closeGracefully()
        }
    }

    // MARK: Events for the login and command extensions

    /// Enters the hub after a verified login, unless the account changed meanwhile.
    func registered(_ handle: SessionHandle, rooms: [RoomName]) -> AccountStatus? {
        if let change = services.router.register(handle, rooms: rooms) { return change }
        entered(handle)
        return nil
    }

    /// The same with what the login's look-up read (see `Hub.register(_:prefetched:)`).
    func registered(_ handle: SessionHandle, prefetched: LoginPrefetch) -> Hub.PrefetchedRegistration {
        let registration = services.router.register(handle, prefetched: prefetched)
        if case .registered = registration { entered(handle) }
        return registration
    }

    private func entered(_ handle: SessionHandle) {
        self.handle = handle
        gauge.move(to: .loggedIn)
        loggedInUser = handle.user
        deadlines.loggedIn()
    }

    /// A verified login, told to the state machine; entering the hub, if it says so,
    /// uses what the login's look-up read.
    func loginVerified(_ login: VerifiedLogin, prefetch: LoginPrefetch) {
        switch machine.loginVerified(login) {
        case .enterHub(let login): enterHub(login, prefetch: prefetch)
        case let action: perform(action)
        }
    }

    /// An outcome of the login or a command, told to the state machine; its action is
    /// carried out.
    func apply(_ event: (inout SessionStateMachine) -> SessionStateMachine.Action) {
        perform(event(&machine))
    }

    /// The account changed (`Hub.credentialsChanged`, or a stale write): the session
    /// ends unless `status` still admits its credentials.
    func credentialsChanged(_ status: AccountStatus) {
        let action = machine.credentialsChanged(status)
        if case .farewell = action { services.metrics?.accountChangeDisconnects.increment() }
        perform(action)
    }

    /// Makes `room` (which the account is in) where plain lines go.
    func makeCurrent(_ room: RoomName?) {
        currentRoom = room
    }

    /// The account left `room`: if it was current, `#lobby` is, when the account is
    /// still in it, else no room.
    func roomLeft(_ room: RoomName, remaining: [RoomName]) {
        guard currentRoom == room else { return }
        currentRoom = remaining.first { $0 == .lobby }
    }

    // MARK: Asynchronous operations

    func beginOperation() {
        gate.operationStarted()
    }

    func endOperation() {
        gate.operationEnded()
        processPendingLines()
    }

    // MARK: Time limits

    /// Called by the loop's `SessionTimeouts` once per check interval.
    func checkTimeouts(now: NIODeadline) {
        guard !isClosing else { return }
        let due = deadlines.check(now: now)
        switch due {
        case .loginGraceExpired where !machine.isAuthenticated: log(.notice, "login grace period expired")
        case .pingUnanswered: log(.info, "idle peer did not answer PING, closing")
        default: break
        }
        perform(machine.deadlineDue(due))
    }

    // MARK: Output

    func send(_ event: ServerEvent) {
        guard let context else { return }
        if case .error(.busy, _) = event { services.metrics?.busyReplies.increment() }
        enqueue(event.rendered(allocator: context.channel.allocator))
    }

    /// Sends a stored event's line, with its stamp in front when the client asked.
    func send(_ event: ServerEvent, stamp: EventStamp?) {
        if wantsStamps, let stamp {
            send(.stamped(stamp, event))
        } else {
            send(event)
        }
    }

    /// The session's own message was stored: a client that asked for stamps hears its id.
    func acknowledgeStored(_ stamp: EventStamp, command: String, details: String) {
        guard wantsStamps, !isClosing else { return }
        send(.stamped(stamp, .ok(command: command, details: details)))
    }

    /// Queues a line the hub rendered for many sessions, in the form this one wants.
    func enqueue(_ delivery: Delivery) {
        guard let bytes = delivery.bytes(stamped: wantsStamps) else { return }
        enqueue(bytes)
    }

    /// Queues rendered lines; called for this session's replies and, through its
    /// `SessionHandle`, by the hub for everyone else's messages.
    func enqueue(_ bytes: ByteBuffer) {
        if case .overflow(let queued) = outbox.enqueue(bytes) {
            services.metrics?.slowConsumers.increment()
            log(.warning, "slow consumer disconnected", ["queuedBytes": "\(queued)"])
            closeNow()
        }
    }

    private func closeGracefully() {
        gate.discard()
        outbox.closeGracefully()
    }

    private func closeNow() {
        machine.connectionClosed()
        gate.discard()
        outbox.closeNow()
    }
}

@available(*, unavailable)
extension SessionHandler: Sendable {}
