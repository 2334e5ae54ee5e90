import ChatTLS
import NIOCore

/// The last handler of a test pipeline: keeps the plaintext, TLS events and errors that
/// reach it, and counts channelInactive. Errors stop here, so the tests read them from
/// `errors` rather than from `EmbeddedChannel.throwIfErrorCaught`.
///
/// Used only on its channel's event loop (the test thread for `EmbeddedChannel`).
final class PipelineRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private(set) var received: [UInt8] = []
    /// The capacity of each plaintext buffer that arrived, in order.
    private(set) var receivedCapacities: [Int] = []
    private(set) var sessions: [TLSSessionInfo] = []
    private(set) var errors: [Error] = []
    private(set) var inactiveCount = 0

    var receivedText: String { String(decoding: received, as: UTF8.self) }

    var tlsErrorKinds: [TLSError.Kind] {
        errors.compactMap { ($0 as? TLSError)?.kind }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received += Array(buffer: buffer)
        receivedCapacities.append(buffer.capacity)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted(let info) = event as? TLSEvent {
            sessions.append(info)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        errors.append(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inactiveCount += 1
        context.fireChannelInactive()
    }
}

/// How a promise ended, read synchronously in `EmbeddedChannel` tests.
final class PromiseOutcome {
    private(set) var result: Result<Void, Error>?

    var isPending: Bool { result == nil }
    var succeeded: Bool {
        if case .success = result { return true }
        return false
    }
    var error: Error? {
        if case .failure(let error) = result { return error }
        return nil
    }

    /// Must be called on `future`'s event loop.
    init(_ future: EventLoopFuture<Void>) {
        future.assumeIsolated().whenComplete { [self] in self.result = $0 }
    }
}
