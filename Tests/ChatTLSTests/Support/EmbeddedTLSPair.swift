import ChatTLS
import NIOCore
import NIOEmbedded
import XCTest

/// A client and a server `TLSHandler` on two `EmbeddedChannel`s sharing one event loop.
/// Nothing moves between them until `exchange()`, and time moves only through
/// `loop.advanceTime`, so tests can stop at any step and look at both ends.
final class EmbeddedTLSPair {
    /// Each side's network writes (ciphertext) during one `exchange()`, in order.
    struct Traffic {
        var fromClient: [ByteBuffer] = []
        var fromServer: [ByteBuffer] = []
    }

    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    let server: EmbeddedChannel
    let clientRecorder = PipelineRecorder()
    let serverRecorder = PipelineRecorder()
    /// Both ends share one loop, so they share its output buffers, as a server's
    /// connections on one loop do: every test here also checks that a flush never
    /// spoils records another write still holds (the embedded channels keep every
    /// write until it is read).
    let writeBuffers = TLSWriteBuffers()

    init(
        serverContext: TLSContext,
        clientContext: TLSContext,
        serverName: String = "localhost",
        handshakeTimeout: TimeAmount = TLSHandler.defaultHandshakeTimeout
    ) throws {
        client = EmbeddedChannel(loop: loop)
        server = EmbeddedChannel(loop: loop)
        try client.pipeline.syncOperations.addHandlers(
            TLSHandler.client(
                context: clientContext,
                serverName: serverName,
                handshakeTimeout: handshakeTimeout,
                writeBuffers: writeBuffers
            ),
            clientRecorder
        )
        try server.pipeline.syncOperations.addHandlers(
            TLSHandler.server(context: serverContext, handshakeTimeout: handshakeTimeout, writeBuffers: writeBuffers),
            serverRecorder
        )
    }

    /// Makes both channels active: the server starts its handshake deadline and the
    /// client writes its ClientHello (not yet delivered).
    func connect() throws {
        try server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40_000)).wait()
        try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4_433)).wait()
    }

    /// Delivers each side's writes to the other until neither has anything more to send.
    /// Writes towards a channel that has closed are dropped, as a closed socket would.
    /// With `readSize`, each write arrives as reads of at most that many bytes, the way
    /// TCP may cut records anywhere.
    @discardableResult
    func exchange(readSize: Int? = nil) throws -> Traffic {
        var traffic = Traffic()
        while true {
            loop.run()
            let fromClient = try client.readOutbound(as: ByteBuffer.self)
            let fromServer = try server.readOutbound(as: ByteBuffer.self)
            if fromClient == nil && fromServer == nil {
                return traffic
            }
            if let fromClient {
                traffic.fromClient.append(fromClient)
                try deliver(fromClient, to: server, readSize: readSize)
            }
            if let fromServer {
                traffic.fromServer.append(fromServer)
                try deliver(fromServer, to: client, readSize: readSize)
            }
        }
    }

    private func deliver(_ write: ByteBuffer, to channel: EmbeddedChannel, readSize: Int?) throws {
        var write = write
        let readSize = readSize ?? max(write.readableBytes, 1)
        while channel.isActive, let read = write.readSlice(length: min(readSize, write.readableBytes)), read.readableBytes > 0 {
            try channel.writeInbound(read)
        }
    }

    /// Connects and runs the handshake to the end; fails the test if either side did
    /// not complete it.
    func handshake(file: StaticString = #filePath, line: UInt = #line) throws {
        try connect()
        try exchange()
        XCTAssertEqual(clientRecorder.sessions.count, 1, "client handshake: \(clientRecorder.errors)", file: file, line: line)
        XCTAssertEqual(serverRecorder.sessions.count, 1, "server handshake: \(serverRecorder.errors)", file: file, line: line)
    }

    /// Every ciphertext write `channel` has made since the last read, in order.
    func takeNetworkWrites(of channel: EmbeddedChannel) throws -> [ByteBuffer] {
        var writes: [ByteBuffer] = []
        while let write = try channel.readOutbound(as: ByteBuffer.self) {
            writes.append(write)
        }
        return writes
    }

    /// Closes `channel` underneath its TLS handler, the way a socket closes when the
    /// peer's TCP connection ends: the handler sees channelInactive and nothing else.
    func dropConnection(_ channel: EmbeddedChannel) throws {
        let tls = try channel.pipeline.syncOperations.context(handlerType: TLSHandler.self)
        tls.close(promise: nil)
        loop.run()
    }

    /// Closes whatever is still open and lets every timer run out.
    func finish() {
        if client.isActive { client.close(promise: nil) }
        if server.isActive { server.close(promise: nil) }
        _ = try? exchange()
        loop.advanceTime(by: .hours(1))
        _ = try? client.finish(acceptAlreadyClosed: true)
        _ = try? server.finish(acceptAlreadyClosed: true)
    }
}

/// A lone server `TLSHandler` on an `EmbeddedChannel`, for feeding it raw bytes.
final class EmbeddedTLSServer {
    let loop = EmbeddedEventLoop()
    let channel: EmbeddedChannel
    let recorder = PipelineRecorder()

    init(context: TLSContext, handshakeTimeout: TimeAmount = TLSHandler.defaultHandshakeTimeout) throws {
        channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.addHandlers(
            TLSHandler.server(context: context, handshakeTimeout: handshakeTimeout),
            recorder
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40_000)).wait()
    }

    /// Everything the server has written to the network so far, concatenated.
    func takeOutput() throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let write = try channel.readOutbound(as: ByteBuffer.self) {
            bytes += Array(buffer: write)
        }
        return bytes
    }

    func finish() {
        loop.advanceTime(by: .hours(1))
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }
}
