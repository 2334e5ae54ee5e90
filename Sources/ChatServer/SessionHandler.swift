import ChatModel
import ChatProtocol
import ChatStore
import ChatTLS
import Logging
import NIOCore

/// One connection's chat session, behind the TLS handler and the line decoder.
///
/// It feeds parsed lines to `SessionStateMachine` and carries out the actions it
/// returns. Everything it sends, replies and other people's messages alike, goes
/// through one bounded outbound queue: a session whose peer stops reading is cut off
/// when the queue passes `maxOutboundQueueBytes`, and nobody else waits for it.
///
/// While a password check or store lookup runs, later lines wait in order and the
/// handler stops asking the channel for more input, so a fast sender cannot make it
/// buffer without bound.
final class SessionHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundLine
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Settings: Sendable {
        var serverName: String
        var maxLoginFailures: Int
        var maxOutboundQueueBytes: Int
        var loginGracePeriod: TimeAmount
        var idleTimeout: TimeAmount
        var pingTimeout: TimeAmount
        var linesPerSecond: Double
        var lineBurst: Int
        var maxLinesBeforeLogin: Int
        var maxBytesBeforeLogin: Int
    }

    let id = SessionID.next()
    private let settings: Settings
    let hub: Hub
    let authenticator: Authenticator
    let directory: AccountDirectory
    private let throttle: LoginThrottle
    private let flusher: OutboundFlusher
    /// The server's logger, without per-session metadata: `log` adds who this session
    /// is only to lines that are actually emitted, so an idle session holds no
    /// metadata dictionary (about 450 bytes each, measured) and a connection formats no
    /// strings for levels that are off.
    private let logger: Logger
    /// The peer's IP address, for login penalties and logs.
    private var peerAddress = "unknown"
    private var peerPort = 0
    /// Set at login; kept after logout so the closing log line still names the user.
    private var loggedInUser: UserName?

    private var machine: SessionStateMachine
    private var membership = RoomMembership()
    /// Set while logged in; the hub holds it too. Dropped on close to break the cycle.
    private var handle: SessionHandle?
    private var context: ChannelHandlerContext?
    private var isClosing = false

    /// Everything queued for the peer, in order; nil when nothing is, so an idle
    /// session holds no output buffer. A lone line is the very buffer the hub rendered
    /// once for all its recipients (no copy: the TLS handler encrypts from it); a
    /// second line before the flush makes it this session's own buffer
    /// (copy-on-write). Either way a flush is one write through the pipeline, however
    /// many lines it carries.
    private var outbound: ByteBuffer?
    private var outboundBytes: Int { outbound?.readableBytes ?? 0 }
    private var flushScheduled = false
    /// Mirrors `channel.isWritable`, updated by `channelWritabilityChanged`. Asked on
    /// every flush; the channel's getter alone was ~3 % of server CPU in a 1000-member
    /// room.
    private var channelIsWritable = true

    /// Lines wait here, in order, while an operation runs or the rate limit holds
    /// them; meanwhile the handler stops asking the channel for more input.
    /// Usually empty or holding a line or two; it grows on demand (the default
    /// initial capacity of 16 is ~300 bytes per idle session).
    private var pendingLines = CircularBuffer<InboundLine>(initialCapacity: 4)
    /// Bytes of text in `pendingLines`, kept only until login (see `hold(_:)`).
    private var pendingBytes = 0
    private var operationInFlight = false
    /// A `/passwd` of this session is running: a generation raise seen meanwhile may
    /// be its own, so it is judged once the change completes (`credentialsChanged`).
    private var passwordChangeInFlight = false
    private var deferredAccountStatus: AccountStatus?
    private var rateLimited = false
    private var readHeld = false
    private var rateLimiter: LineRateLimiter

    /// Time limits are checked by the loop's `SessionTimeouts`, not by timers of our
    /// own: these are all a session keeps for them.
    private let timeouts: SessionTimeouts
    private var watchedByTimeouts = false
    private var lastInput = NIODeadline.now()
    /// Until login: when the grace period ends.
    private var loginDeadline: NIODeadline?
    /// While a PING is unanswered: when the peer is given up on.
    private var pingDeadline: NIODeadline?

    init(
        settings: Settings,
        hub: Hub,
        authenticator: Authenticator,
        directory: AccountDirectory,
        throttle: LoginThrottle,
        flusher: OutboundFlusher,
        timeouts: SessionTimeouts,
        logger: Logger
    ) {
        self.flusher = flusher
        self.timeouts = timeouts
        self.settings = settings
        self.hub = hub
        self.authenticator = authenticator
        self.directory = directory
        self.throttle = throttle
        self.rateLimiter = LineRateLimiter(linesPerSecond: settings.linesPerSecond, burst: settings.lineBurst)
        self.logger = logger
        self.machine = SessionStateMachine(maxLoginFailures: settings.maxLoginFailures)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let peer = context.channel.remoteAddress {
            peerAddress = peer.ipAddress ?? "unknown"
            peerPort = peer.port ?? 0
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimeouts()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        log(.info, "connection opened")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosing = true
        machine.connectionClosed()
        if let handle {
            hub.unregister(handle, rooms: membership.rooms)
            self.handle = nil
        }
        outbound = nil
        pendingLines.removeAll()
        stopTimeouts()
        log(.info, "connection closed")
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let event as TLSEvent:
            switch event {
            case .handshakeCompleted(let info):
                log(.debug, "TLS established", ["protocol": "\(info.protocolVersion)", "cipher": "\(info.cipher)"])
                send(.hello(server: settings.serverName, text: "welcome; log in with /login <name> <password>"))
                startTimeouts()
            }
        case is ServerShutdownEvent:
            perform(machine.closeRequested(farewell: "server shutting down"))
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case let error as LineTooLongError:
            log(.notice, "line too long, closing", ["limit": "\(error.limit)"])
            perform(.farewell([.error(.lineTooLong, "lines are limited to \(error.limit) bytes")]))
        case let error as TLSError where error.kind == .uncleanShutdown:
            log(.debug, "peer closed without close_notify")
        case let error as TLSError:
            log(.info, "TLS failure", ["kind": "\(error.kind.rawValue)", "detail": "\(error.diagnostics)"])
            closeNow()
        default:
            log(.info, "connection error", ["error": "\(error)"])
            closeNow()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastInput = .now()
        pingDeadline = nil
        hold(unwrapInboundIn(data))
        processPendingLines()
    }

    /// Queues a line behind any that wait. Until login a peer has no use for more than
    /// a few lines in flight, yet one read can carry thousands of short ones, all held
    /// for the whole password check: past `maxLinesBeforeLogin` or
    /// `maxBytesBeforeLogin` the connection is ended instead.
    private func hold(_ line: InboundLine) {
        guard !isClosing else { return }
        pendingLines.append(line)
        guard !machine.isAuthenticated else {
            pendingBytes = 0
            return
        }
        if case .text(let text) = line {
            pendingBytes += text.utf8.count
        }
        if pendingLines.count > settings.maxLinesBeforeLogin || pendingBytes > settings.maxBytesBeforeLogin {
            log(.notice, "too many lines before login, closing", ["lines": "\(pendingLines.count)", "bytes": "\(pendingBytes)"])
            pendingLines.removeAll()
            pendingBytes = 0
            send(.error(.flood, "too many lines before login"))
            perform(machine.closeRequested(farewell: "excess flood"))
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        channelIsWritable = context.channel.isWritable
        if channelIsWritable {
            flushOutbound()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if isBlocked {
            readHeld = true
        } else {
            context.read()
        }
    }

    // MARK: Lines and actions

    private var isBlocked: Bool { operationInFlight || rateLimited }

    /// Handles waiting lines in order until one starts an operation or the rate
    /// limit says wait; then resumes reading once nothing blocks.
    private func processPendingLines() {
        while !isBlocked, !isClosing, let line = pendingLines.popFirst() {
            if case .text(let text) = line, pendingBytes > 0 {
                pendingBytes = max(0, pendingBytes - text.utf8.count)
            }
            if let wait = rateLimiter.admit() {
                // Delay rather than drop (Ergo's "fakelag"): a paste arrives whole,
                // just slower, and a flood costs the flooder its own latency.
                pendingLines.prepend(line)
                rateLimited = true
                context?.eventLoop.assumeIsolated().scheduleTask(in: wait) { [self] in
                    rateLimited = false
                    processPendingLines()
                }
                return
            }
            process(line)
        }
        if !isBlocked, readHeld, let context {
            readHeld = false
            context.read()
        }
    }

    private func process(_ line: InboundLine) {
        switch line {
        case .badEncoding:
            send(.error(.badEncoding, "lines must be UTF-8 without control characters"))
        case .text(let text):
            perform(machine.lineParsed(ClientCommand.parse(text)))
        }
    }

    private func perform(_ action: SessionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .reply(let events):
            events.forEach(send)
        case .verifyLogin(let name, let password):
            verifyLogin(name: name, password: password)
        case .enterHub(let login):
            enterHub(login)
        case .perform(let command, let login):
            run(command, as: login)
        case .changePassword(let login, let old, let new):
            changePassword(login, old: old, new: new)
        case .farewell(let events):
            events.forEach(send)
            closeGracefully()
        }
    }

    private func verifyLogin(name: String, password: String) {
        guard let context else { return }
        beginOperation()
        let penalty = throttle.delay(address: peerAddress, account: name)
        let eventLoop = context.eventLoop
        let verified: EventLoopFuture<Authenticator.LoginOutcome>
        if penalty > .zero {
            log(.debug, "login delayed by recent failures", ["delayMs": "\(penalty.nanoseconds / 1_000_000)"])
            let session = NIOLoopBound(self, eventLoop: eventLoop)
            verified = eventLoop.flatScheduleTask(in: penalty) { [authenticator] in
                // Gone while it waited: spend no hashing on it.
                guard !session.value.isClosing else { return eventLoop.makeSucceededFuture(.busy) }
                return authenticator.verifyLogin(name: name, password: password, on: eventLoop)
            }.futureResult
        } else {
            verified = authenticator.verifyLogin(name: name, password: password, on: eventLoop)
        }
        verified
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(.verified(let login)):
                    throttle.recordSuccess(address: peerAddress, account: name)
                    log(.info, isClosing ? "login succeeded after the connection closed" : "login succeeded", ["user": "\(login.user)"])
                    perform(machine.loginVerified(login))
                case .success(.rejected(let reason)):
                    // Counted even if the peer has gone: hanging up does not buy a free guess.
                    throttle.recordFailure(address: peerAddress, account: name)
                    // One line per failure, with peer and name, for fail2ban and friends.
                    log(.notice, "login failed", ["user": "\(Self.loggable(name))", "reason": "\(reason)"])
                    perform(machine.loginRejected())
                case .success(.busy):
                    if !isClosing {
                        log(.warning, "login refused: password checks saturated", ["user": "\(Self.loggable(name))"])
                    }
                    perform(machine.loginBusy())
                case .failure(let error):
                    log(.error, "login check failed", ["user": "\(Self.loggable(name))", "error": "\(error)"])
                    perform(machine.loginBusy())
                }
                endOperation()
            }
    }

    private func enterHub(_ login: VerifiedLogin) {
        guard let context, !isClosing else { return }
        let handle = SessionHandle(id: id, login: login, handler: self, eventLoop: context.eventLoop)
        loginDeadline = nil
        if let change = hub.register(handle) {
            // Locked, deleted or given a new password while the password was checked.
            log(.notice, "login refused: account changed during the password check", ["user": "\(login.user)"])
            perform(machine.credentialsChanged(change))
            return
        }
        self.handle = handle
        loggedInUser = login.user
        membership.join(hub.join(.lobby, handle))
        send(.ok(command: "login", details: login.user.display))
    }

    /// The account this session is logged in to changed (see `Hub.credentialsChanged`).
    func credentialsChanged(_ status: AccountStatus) {
        if passwordChangeInFlight, case .active = status {
            // Perhaps this session's own `/passwd`, whose result has not arrived yet.
            deferredAccountStatus = status
            return
        }
        perform(machine.credentialsChanged(status))
    }

    /// Results of the command extension's operations, through the state machine.
    func passwordChangeSucceeded(_ login: VerifiedLogin) {
        perform(machine.passwordChanged(login))
    }

    func passwordChangeRejected() {
        perform(machine.passwordRejected())
    }

    /// Ends the session if `status` no longer admits its credentials.
    func endSession(_ status: AccountStatus) {
        perform(machine.credentialsChanged(status))
    }

    /// A user name as typed may be anything the line allowed. Log lines stay one line,
    /// short and unambiguous: Unicode scalars outside a small ASCII set become `?`
    /// (no look-alike names, no combining marks stacking kilobytes on one
    /// "character"), and at most 64 bytes are kept.
    static func loggable(_ name: String) -> String {
        var result = ""
        for scalar in name.unicodeScalars {
            if result.utf8.count >= 64 {
                result += "..."
                break
            }
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": result.unicodeScalars.append(scalar)
            default: result += "?"
            }
        }
        return result
    }

    // MARK: For the command extension

    var currentHandle: SessionHandle? { handle }
    var currentPeerAddress: String { peerAddress }
    var loginThrottle: LoginThrottle { throttle }
    var currentMembership: RoomMembership { membership }
    var currentEventLoop: EventLoop? { context?.eventLoop }

    func updateMembership(_ change: (inout RoomMembership) -> Void) {
        change(&membership)
    }

    /// Logs with this session's identity (session, peer, and user once logged in);
    /// `extra` wins on a clash. Nothing is built unless the level is enabled.
    private func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message, _ extra: @autoclosure () -> Logger.Metadata = [:]) {
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = ["session": "\(id)", "peer": "\(peerAddress):\(peerPort)"]
        if let loggedInUser { metadata["user"] = "\(loggedInUser)" }
        metadata.merge(extra()) { _, new in new }
        logger.log(level: level, message(), metadata: metadata)
    }

    func logInfo(_ message: Logger.Message) { log(.info, message) }
    func logNotice(_ message: Logger.Message) { log(.notice, message) }
    func logError(_ message: Logger.Message, _ error: Error) {
        log(.error, message, ["error": "\(error)"])
    }

    // MARK: Asynchronous operations

    func beginOperation() {
        operationInFlight = true
    }

    func endOperation() {
        operationInFlight = false
        if let status = deferredAccountStatus, !passwordChangeInFlight {
            deferredAccountStatus = nil
            perform(machine.credentialsChanged(status))
        }
        processPendingLines()
    }

    /// Brackets this session's own `/passwd`, during which a generation raise is held
    /// back until its result is known.
    func beginPasswordChange() {
        passwordChangeInFlight = true
        beginOperation()
    }

    func endPasswordChange() {
        passwordChangeInFlight = false
        endOperation()
    }

    // MARK: Time limits

    private func startTimeouts() {
        let now = NIODeadline.now()
        lastInput = now
        loginDeadline = now + settings.loginGracePeriod
        timeouts.watch(self)
        watchedByTimeouts = true
    }

    private func stopTimeouts() {
        guard watchedByTimeouts else { return }
        watchedByTimeouts = false
        timeouts.forget(self)
    }

    /// Called by the loop's `SessionTimeouts` once per check interval.
    func checkTimeouts(now: NIODeadline) {
        guard !isClosing else { return }
        if let deadline = loginDeadline, now >= deadline {
            loginDeadline = nil
            if !machine.isAuthenticated {
                log(.notice, "login grace period expired")
            }
            perform(machine.loginGraceExpired())
            return
        }
        if let deadline = pingDeadline {
            if now >= deadline {
                // Still silent since the PING: the peer is gone or stuck.
                log(.info, "idle peer did not answer PING, closing")
                perform(machine.closeRequested(farewell: "ping timeout"))
            }
            return
        }
        if now >= lastInput + settings.idleTimeout {
            pingDeadline = now + settings.pingTimeout
            send(.ping(String(now.uptimeNanoseconds, radix: 36)))
        }
    }

    // MARK: Output

    func send(_ event: ServerEvent) {
        guard let context else { return }
        enqueue(event.rendered(allocator: context.channel.allocator))
    }

    /// Queues rendered lines; called for this session's replies and, through its
    /// `SessionHandle`, by the hub for everyone else's messages.
    func enqueue(_ bytes: ByteBuffer) {
        guard !isClosing, context != nil else { return }
        if outbound == nil {
            outbound = bytes
        } else {
            var bytes = bytes
            outbound!.writeBuffer(&bytes)
        }
        if outboundBytes > settings.maxOutboundQueueBytes {
            log(.warning, "slow consumer disconnected", ["queuedBytes": "\(outboundBytes)"])
            closeNow()
            return
        }
        // Lines queued in the same event loop pass leave together: one TLS record and
        // one write instead of one per line.
        if !flushScheduled {
            flushScheduled = true
            flusher.schedule(self)
        }
    }

    /// Called by the loop's `OutboundFlusher` at the end of the pass.
    func flushScheduledOutput() {
        flushScheduled = false
        flushOutbound()
    }

    /// Moves queued lines into the channel while it is writable.
    private func flushOutbound() {
        guard let context, let queued = outbound, channelIsWritable else { return }
        // Taken before writing: anything queued while the write runs goes in the next
        // flush instead of being cleared with this one.
        outbound = nil
        context.writeAndFlush(wrapOutboundOut(queued), promise: nil)
    }

    /// Sends what is queued, then close_notify, then closes.
    private func closeGracefully() {
        guard !isClosing, let context else { return }
        flushOutbound()
        isClosing = true
        context.close(promise: nil)
    }

    /// Closes without waiting for queued output (slow consumers, broken peers).
    private func closeNow() {
        guard !isClosing, let context else { return }
        isClosing = true
        outbound = nil
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension SessionHandler: Sendable {}
