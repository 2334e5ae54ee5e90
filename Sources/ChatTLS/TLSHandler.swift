import NIOCore

/// Terminates (or originates) TLS on a channel with OpenSSL.
///
/// Inbound it turns TLS records into plaintext `ByteBuffer`s; outbound it turns
/// plaintext into records. Every plaintext write queued before a flush is encrypted
/// together, so a burst of chat lines leaves as one TLS record and one syscall instead
/// of one each.
///
/// Lifecycle: `idle` → `handshaking` → `active` → `closing` → `closed`. Writes issued
/// before the handshake completes wait, with their flush marks, until it does.
public final class TLSHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    public static let defaultHandshakeTimeout: TimeAmount = .seconds(10)
    /// After our close_notify, how long to wait for the peer to hang up before
    /// closing anyway.
    public static let defaultCloseTimeout: TimeAmount = .seconds(3)

    private enum State {
        case idle
        case handshaking
        case active
        /// Our close_notify is queued or sent; input is drained and discarded so the
        /// kernel sends FIN, not RST, and the peer reads our last words.
        case closing
        case closed
    }

    private typealias BufferedWrite = (data: ByteBuffer, promise: EventLoopPromise<Void>?)

    private let connection: TLSConnection
    /// The loop's buffers for output, if the owner shares them between connections.
    private let writeBuffers: TLSWriteBuffers?
    private let handshakeTimeout: TimeAmount
    private let closeTimeout: TimeAmount
    private var state: State = .idle
    /// Small to start with: most of the time a connection is idle and this is empty;
    /// it grows only for a burst.
    private var bufferedWrites = MarkedCircularBuffer<BufferedWrite>(initialCapacity: 4)
    /// A circular buffer never shrinks: past this many queued writes, the emptied queue
    /// is replaced by a small one so one burst does not stay allocated for hours.
    private static let retainedWriteQueueCapacity = 16
    private var handshakeDeadline: Scheduled<Void>?
    private var closeDeadline: Scheduled<Void>?
    private var closePromises: [EventLoopPromise<Void>] = []

    /// The server end: waits for the ClientHello and presents `context`'s certificate.
    ///
    /// - Parameters:
    ///   - context: a context made by `TLSContext.server(…)`.
    ///   - writeBuffers: the output buffers of the event loop the channel runs on,
    ///     shared with its other connections; nil for buffers of this connection's own.
    public static func server(
        context: TLSContext,
        handshakeTimeout: TimeAmount = TLSHandler.defaultHandshakeTimeout,
        closeTimeout: TimeAmount = TLSHandler.defaultCloseTimeout,
        writeBuffers: TLSWriteBuffers? = nil
    ) throws -> TLSHandler {
        TLSHandler(
            connection: try TLSConnection(serverContext: context),
            handshakeTimeout: handshakeTimeout,
            closeTimeout: closeTimeout,
            writeBuffers: writeBuffers
        )
    }

    /// The client end: sends the ClientHello as soon as the channel is active.
    ///
    /// - Parameters:
    ///   - context: a context made by `TLSContext.client(…)`.
    ///   - serverName: the DNS name (also sent as SNI) or IP address the server's
    ///     certificate must carry.
    ///   - writeBuffers: as for `server(…)`.
    public static func client(
        context: TLSContext,
        serverName: String,
        handshakeTimeout: TimeAmount = TLSHandler.defaultHandshakeTimeout,
        closeTimeout: TimeAmount = TLSHandler.defaultCloseTimeout,
        writeBuffers: TLSWriteBuffers? = nil
    ) throws -> TLSHandler {
        TLSHandler(
            connection: try TLSConnection(clientContext: context, serverName: serverName),
            handshakeTimeout: handshakeTimeout,
            closeTimeout: closeTimeout,
            writeBuffers: writeBuffers
        )
    }

    private init(connection: TLSConnection, handshakeTimeout: TimeAmount, closeTimeout: TimeAmount, writeBuffers: TLSWriteBuffers?) {
        self.connection = connection
        self.writeBuffers = writeBuffers
        self.handshakeTimeout = handshakeTimeout
        self.closeTimeout = closeTimeout
    }

    /// Ciphertext buffer capacity held between events. Tests check it is zero once a
    /// connection is idle, whatever burst it carried before.
    var heldBufferCapacity: Int { connection.heldBufferCapacity }

    // MARK: Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        connection.allocator = context.channel.allocator
        if context.channel.isActive {
            startHandshake(context: context)
        }
    }

    public func channelActive(context: ChannelHandlerContext) {
        startHandshake(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        let previous = state
        state = .closed
        cancelTimers()
        failBufferedWrites(ChannelError.ioOnClosedChannel)
        completeClosePromises()
        if case .active = previous {
            context.fireErrorCaught(TLSError(.uncleanShutdown))
        }
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        connection.discardNetworkInput()
        failBufferedWrites(ChannelError.ioOnClosedChannel)
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        state = .handshaking
        handshakeDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: handshakeTimeout) { [self] in
            guard case .handshaking = state else { return }
            // A stalled or trickled ClientHello, or a peer that speaks something else
            // and waits: nothing plaintext is ever answered; just hang up.
            context.fireErrorCaught(TLSError(.handshakeTimeout, "no complete handshake within \(handshakeTimeout)"))
            closeImmediately(context: context)
        }
        // A client speaks first; a server waits for the ClientHello.
        if connection.isClient {
            advanceHandshake(context: context)
        }
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        switch state {
        case .idle:
            startHandshake(context: context)
            connection.receiveFromNetwork(bytes)
            advanceHandshake(context: context)
        case .handshaking:
            connection.receiveFromNetwork(bytes)
            advanceHandshake(context: context)
        case .active:
            connection.receiveFromNetwork(bytes)
            readApplicationData(context: context)
        case .closing, .closed:
            break
        }
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        switch connection.doHandshake() {
        case .wantRead:
            writeNetworkOutput(context: context)
        case .failed(let error):
            // OpenSSL may have queued an alert; it is TLS, not plaintext, so send it.
            writeNetworkOutput(context: context)
            context.fireErrorCaught(error)
            closeImmediately(context: context)
        case .complete:
            state = .active
            handshakeDeadline?.cancel()
            handshakeDeadline = nil
            // Finished and (for TLS 1.3) anything else OpenSSL produced.
            writeNetworkOutput(context: context)
            let info = TLSSessionInfo(
                protocolVersion: connection.negotiatedProtocol,
                cipher: connection.negotiatedCipher,
                peerCertificateDER: connection.isClient ? connection.peerCertificateDER : nil,
                serverCertificate: connection.serverCertificate
            )
            context.fireUserInboundEventTriggered(TLSEvent.handshakeCompleted(info))
            flushBufferedWrites(context: context)
            // Application data can arrive in the same packet as the client's Finished.
            readApplicationData(context: context)
        }
    }

    private func readApplicationData(context: ChannelHandlerContext) {
        // A handler further up may write, close or get removed while we deliver, so the
        // state is checked on every pass.
        while case .active = state {
            switch connection.read() {
            case .data(let plaintext):
                context.fireChannelRead(wrapInboundOut(plaintext))
            case .wantRead:
                // KeyUpdate answers and alerts are produced while reading.
                writeNetworkOutput(context: context)
                return
            case .closeNotify:
                // The peer is done: answer with our close_notify and hang up.
                startClosing(context: context)
                return
            case .failed(let error):
                writeNetworkOutput(context: context)
                context.fireErrorCaught(error)
                closeImmediately(context: context)
                return
            }
        }
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch state {
        case .idle, .handshaking, .active:
            bufferedWrites.append((unwrapOutboundIn(data), promise))
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    public func flush(context: ChannelHandlerContext) {
        bufferedWrites.mark()
        if case .active = state {
            flushBufferedWrites(context: context)
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .input {
            context.close(mode: mode, promise: promise)
            return
        }
        switch state {
        case .idle, .handshaking:
            if let promise { closePromises.append(promise) }
            closeImmediately(context: context)
        case .active:
            if let promise { closePromises.append(promise) }
            // Whatever was written before close() goes out first, then close_notify.
            bufferedWrites.mark()
            flushBufferedWrites(context: context)
            startClosing(context: context)
        case .closing:
            if let promise { closePromises.append(promise) }
            // Asked again while we wait for the peer's close_notify: the caller has
            // stopped waiting (a server's shutdown grace period ran out), so hang up.
            closeImmediately(context: context)
        case .closed:
            promise?.fail(ChannelError.alreadyClosed)
        }
    }

    /// Encrypts every write up to the flush mark, packing them into as few records as
    /// possible, and sends the records as one network write.
    private func flushBufferedWrites(context: ChannelHandlerContext) {
        guard let marked = bufferedWrites.markedElementIndex else { return }
        let queued = bufferedWrites.count
        var remaining = 0
        var index = bufferedWrites.startIndex
        while true {
            remaining += bufferedWrites[index].data.readableBytes
            if index == marked { break }
            index = bufferedWrites.index(after: index)
        }
        connection.reserveNetworkOutput(forPlaintext: remaining, from: writeBuffers)

        let recordSize = TLSConnection.maxRecordPlaintext
        var promises: [EventLoopPromise<Void>] = []
        // Only for packing several small writes into one record, and not kept by this
        // connection after the flush: one that once sent a burst does not keep 16 KiB
        // for it (the loop's shared buffers may keep it for the next flush of any).
        var coalesced: ByteBuffer?
        var failure: TLSError?
        while bufferedWrites.hasMark, let (write, promise) = bufferedWrites.popFirst() {
            if let promise { promises.append(promise) }
            var data = write
            while data.readableBytes > 0 && failure == nil {
                let pending = coalesced?.readableBytes ?? 0
                if pending == 0 && (data.readableBytes >= recordSize || data.readableBytes == remaining) {
                    // A full record, or the last bytes of this flush: encrypt them
                    // where they are instead of copying them first.
                    let count = min(recordSize, data.readableBytes)
                    let result = data.withUnsafeReadableBytes { connection.write(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
                    if case .failed(let error) = result { failure = error }
                    data.moveReaderIndex(forwardBy: count)
                    remaining -= count
                } else {
                    if coalesced == nil {
                        let capacity = min(recordSize, remaining)
                        coalesced =
                            writeBuffers?.takePlaintextBuffer(capacity: capacity)
                            ?? context.channel.allocator.buffer(capacity: capacity)
                    }
                    let count = min(recordSize - pending, data.readableBytes)
                    var slice = data.readSlice(length: count)!
                    coalesced!.writeBuffer(&slice)
                    remaining -= count
                    if pending + count == recordSize || remaining == 0 {
                        let result = coalesced!.withUnsafeReadableBytes { connection.write($0) }
                        if case .failed(let error) = result { failure = error }
                        coalesced!.clear()
                    }
                }
            }
        }
        if let coalesced {
            writeBuffers?.keep(plaintext: coalesced)
        }
        if queued > Self.retainedWriteQueueCapacity && bufferedWrites.isEmpty {
            bufferedWrites = MarkedCircularBuffer(initialCapacity: 4)
        }
        if let failure {
            promises.forEach { $0.fail(failure) }
            context.fireErrorCaught(failure)
            closeImmediately(context: context)
            return
        }
        writeNetworkOutput(context: context, promises: promises)
    }

    /// Sends whatever records OpenSSL has produced and flushes.
    private func writeNetworkOutput(context: ChannelHandlerContext, promises: [EventLoopPromise<Void>] = []) {
        guard let records = connection.takeNetworkOutput() else {
            promises.forEach { $0.succeed() }
            return
        }
        let writePromise: EventLoopPromise<Void>?
        switch promises.count {
        case 0: writePromise = nil
        case 1: writePromise = promises[0]
        default:
            let combined = context.eventLoop.makePromise(of: Void.self)
            for promise in promises { combined.futureResult.cascade(to: promise) }
            writePromise = combined
        }
        context.writeAndFlush(wrapOutboundOut(records), promise: writePromise)
        // Reused by the loop's next flush, unless the channel still holds it (a partial
        // write): then the next flush gets new storage and these bytes stay as they are.
        writeBuffers?.keep(records: records)
    }

    // MARK: Closing

    /// Sends close_notify, half-closes our side, and waits (bounded) for the peer to
    /// hang up. Closing both directions straight away would make the kernel answer any
    /// unread input with RST, which can destroy our last line before the peer reads it.
    private func startClosing(context: ChannelHandlerContext) {
        guard case .active = state else { return }
        state = .closing
        connection.discardNetworkInput()
        connection.shutdown()
        failBufferedWrites(ChannelError.outputClosed)
        let sent = context.eventLoop.makePromise(of: Void.self)
        writeNetworkOutput(context: context, promises: [sent])
        sent.futureResult.assumeIsolated().whenComplete { [self] result in
            guard case .closing = state else { return }
            if case .success = result {
                context.close(mode: .output, promise: nil)
            } else {
                closeImmediately(context: context)
            }
        }
        closeDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: closeTimeout) { [self] in
            closeImmediately(context: context)
        }
    }

    private func closeImmediately(context: ChannelHandlerContext) {
        if case .closed = state {
            return
        }
        state = .closed
        cancelTimers()
        connection.discardNetworkInput()
        failBufferedWrites(ChannelError.ioOnClosedChannel)
        let closed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .all, promise: closed)
        closed.futureResult.assumeIsolated().whenComplete { [self] _ in
            // "Already closed" still means closed for whoever asked.
            completeClosePromises()
        }
    }

    private func completeClosePromises() {
        let promises = closePromises
        closePromises = []
        promises.forEach { $0.succeed() }
    }

    private func cancelTimers() {
        handshakeDeadline?.cancel()
        handshakeDeadline = nil
        closeDeadline?.cancel()
        closeDeadline = nil
    }

    private func failBufferedWrites(_ error: Error) {
        while let (_, promise) = bufferedWrites.popFirst() {
            promise?.fail(error)
        }
    }
}

@available(*, unavailable)
extension TLSHandler: Sendable {}
