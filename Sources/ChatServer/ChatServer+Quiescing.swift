import ChatTLS
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras

extension ChatServer {
    /// Closes the listener and sends `ChannelShouldQuiesceEvent` to every connection,
    /// then waits until all have closed. Sessions answer with `BYE` and a TLS
    /// close_notify, and the TLS handler waits at most its close timeout for the peer,
    /// so this normally ends within seconds; whoever is still open when the grace
    /// period ends is closed outright, and past that (plus the TLS close timeout and a
    /// margin) the stop goes on without waiting: a stop that never returns would leave
    /// the database and the hashing pool open until the service manager kills us.
    func quiesce(_ listener: Channel, _ quiescing: ServerQuiescingHelper) async {
        let loop = listener.eventLoop
        let open = connections.count
        let drained = loop.makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: drained)
        let connections = connections
        let grace = configuration.shutdownGracePeriod
        let deadline = loop.scheduleTask(in: grace) {
            for channel in connections.all() { channel.close(promise: nil) }
        }
        let allClosed = drained.futureResult.flatMapError { _ in
            // The listener would not close (it was closed already): the helper gives
            // up on its promise, but the sessions were told all the same.
            EventLoopFuture.andAllComplete(connections.all().map(\.closeFuture), on: loop)
        }
        let finished = await Self.wait(for: allClosed, atMost: grace + TLSHandler.defaultCloseTimeout + .seconds(2), on: loop)
        deadline.cancel()
        if !finished {
            logger.warning("connections still open after the shutdown grace period; stopping anyway", metadata: ["open": "\(connections.count)"])
        } else if open > 0 {
            logger.info("all connections closed")
        }
    }

    /// Whether `future` completed (either way) within `limit`.
    private static func wait(for future: EventLoopFuture<Void>, atMost limit: TimeAmount, on loop: EventLoop) async -> Bool {
        await withCheckedContinuation { continuation in
            let resumed = NIOLockedValueBox(false)
            let resume: @Sendable (Bool) -> Void = { completed in
                let first = resumed.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: completed) }
            }
            let timer = loop.scheduleTask(in: limit) { resume(false) }
            future.whenComplete { _ in
                timer.cancel()
                resume(true)
            }
        }
    }
}
