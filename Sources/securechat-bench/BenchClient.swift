import ChatLineClient
import ChatProtocol
import ChatTLS
import NIOCore

/// Where and how the generator connects: a loopback address and the project's own
/// client TLS context (full verification against the bench CA, no resumption).
struct BenchTarget: Sendable {
    let address: SocketAddress
    let serverName: String
    let tls: TLSContext
}

/// What a scenario hears from its client connections, numbered by the scenario.
/// Everything runs on the generator's one event loop.
protocol ClientEvents: AnyObject {
    func handshakeCompleted(client: Int, info: TLSSessionInfo)
    func received(_ line: String, client: Int)
    func failed(client: Int, error: any Error)
    func closed(client: Int)
}

enum BenchClient {
    /// After our close_notify, how long a client waits for the server to hang up.
    static let closeTimeout: TimeAmount = .seconds(2)

    /// Opens client `client`'s TCP connection over the shared line-client pipeline;
    /// the TLS handshake starts at once and its completion arrives as
    /// `handshakeCompleted`. `receiveBufferBytes` sets a small SO_RCVBUF for a client
    /// that is going to stop reading.
    static func connect(
        client: Int,
        to target: BenchTarget,
        events: NIOLoopBound<any ClientEvents>,
        receiveBufferBytes: Int? = nil,
        on loop: any EventLoop
    ) -> EventLoopFuture<any Channel> {
        let lineClient = LineClient(
            context: target.tls,
            serverName: target.serverName,
            closeTimeout: closeTimeout,
            receiveBufferBytes: receiveBufferBytes
        )
        return lineClient.connect(to: .address(target.address), group: loop) {
            // Taken out of its loop-bound box once, here on the loop, not per line.
            let events = events.value
            return LineClientHandler { event in
                deliver(event, client: client, to: events)
            }
        }
    }

    /// Hands one connection event to the scenario, tagged with the client's number.
    private static func deliver(_ event: LineClientEvent, client: Int, to events: any ClientEvents) {
        switch event {
        case .line(.text(let line)):
            events.received(line, client: client)
        case .line(.badEncoding):
            events.received("<bad encoding>", client: client)
        case .handshakeCompleted(let info):
            events.handshakeCompleted(client: client, info: info)
        case .closed(let error):
            // The server ends sessions with close_notify; an unclean close after our
            // own close is no failure of the server's, but anything else is.
            if let error, (error as? TLSError)?.kind != .uncleanShutdown {
                events.failed(client: client, error: error)
            }
            events.closed(client: client)
        }
    }

    /// `line` and its LF, ready to write.
    static func encode(_ line: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: line.utf8.count + 1)
        buffer.writeString(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        return buffer
    }
}
