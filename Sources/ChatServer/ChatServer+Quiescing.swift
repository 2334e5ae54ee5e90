import NIOCore
import NIOExtras

extension ChatServer {
    /// Closes the listener and sends `ChannelShouldQuiesceEvent` to every connection,
    /// then waits until all have closed. Sessions answer with `BYE` and a TLS
    /// close_notify, and the TLS handler waits at most its close timeout for the peer,
    /// so this normally ends within seconds; whoever is still open when the grace
    /// period ends is closed outright.
    func quiesce(_ listener: Channel, _ quiescing: ServerQuiescingHelper) async {
        let loop = listener.eventLoop
        let open = connections.count
        let drained = loop.makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: drained)
        let connections = connections
        let deadline = loop.scheduleTask(in: configuration.shutdownGracePeriod) {
            for channel in connections.all() { channel.close(promise: nil) }
        }
        do {
            try await drained.futureResult.get()
        } catch {
            // The listener would not close (it was closed already): the helper gives
            // up on its promise, but the sessions were told all the same.
            try? await EventLoopFuture.andAllComplete(connections.all().map(\.closeFuture), on: loop).get()
        }
        deadline.cancel()
        if open > 0 {
            logger.info("all connections closed")
        }
    }
}
