import ChatProtocol
import ChatTLS
import NIOCore

/// What a line client hears from its connection, in order, on the channel's event loop.
public enum LineClientEvent {
    case handshakeCompleted(TLSSessionInfo)
    case line(InboundLine)
    /// The connection is gone; `error` is the first error it saw (nil after a clean
    /// TLS close). `TLSError(.uncleanShutdown)` means the peer hung up without one.
    case closed(error: (any Error)?)
}

/// The last handler of a line client's pipeline (TLS → line decoder → this): turns
/// the handshake, lines, errors and the end of the connection into `LineClientEvent`s.
///
/// With a `handshake` promise the events start with the handshake: a connection that
/// ends before it fails the promise instead and reports nothing. The first error
/// closes the connection; a line client has no use for one that is half broken.
public final class LineClientHandler: ChannelInboundHandler {
    public typealias InboundIn = InboundLine

    private enum State {
        case awaitingHandshake
        case open
        /// The handshake promise has failed; nothing more is reported.
        case handshakeFailed
    }

    private let handshake: EventLoopPromise<TLSSessionInfo>?
    private let onEvent: (LineClientEvent) -> Void
    private var state = State.awaitingHandshake
    private var firstError: (any Error)?

    public init(handshake: EventLoopPromise<TLSSessionInfo>? = nil, onEvent: @escaping (LineClientEvent) -> Void) {
        self.handshake = handshake
        self.onEvent = onEvent
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted(let info) = event as? TLSEvent, case .awaitingHandshake = state {
            state = .open
            handshake?.succeed(info)
            onEvent(.handshakeCompleted(info))
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onEvent(.line(unwrapInboundIn(data)))
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .awaitingHandshake = state, let handshake {
            state = .handshakeFailed
            handshake.fail(error)
        } else if firstError == nil {
            firstError = error
        }
        context.close(promise: nil)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .awaitingHandshake:
            if let handshake {
                state = .handshakeFailed
                handshake.fail(ChannelError.eof)
            } else {
                onEvent(.closed(error: firstError))
            }
        case .open:
            onEvent(.closed(error: firstError))
        case .handshakeFailed:
            break
        }
        context.fireChannelInactive()
    }
}
