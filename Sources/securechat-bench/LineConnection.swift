import ChatLineClient
import ChatTLS
import NIOCore

/// One connection read line by line with `await`: for scenarios that talk to the
/// server as a single client does, one request after another (catch-up), where the
/// callback-driven `Fleet` would only add bookkeeping.
final class LineConnection: Sendable {
    struct Closed: Error, CustomStringConvertible {
        var description: String { "the server closed the connection" }
    }

    private let channel: any Channel
    private let lines: AsyncStream<String>
    private let iterator: SequentialIterator

    private init(channel: any Channel, lines: AsyncStream<String>) {
        self.channel = channel
        self.lines = lines
        self.iterator = SequentialIterator(lines.makeAsyncIterator())
    }

    /// Connects and completes the TLS handshake (the `HELLO` line is the first of `next()`).
    static func open(to target: BenchTarget, on loop: any EventLoop) async throws -> LineConnection {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        let client = LineClient(context: target.tls, serverName: target.serverName, closeTimeout: BenchClient.closeTimeout)
        let handshake = loop.makePromise(of: TLSSessionInfo.self)
        let channel = try await client.connect(to: .address(target.address), group: loop) {
            LineClientHandler(handshake: handshake) { event in
                switch event {
                case .line(.text(let line)): continuation.yield(line)
                case .line(.badEncoding): continuation.yield("<bad encoding>")
                case .handshakeCompleted: break
                case .closed: continuation.finish()
                }
            }
        }.get()
        _ = try await handshake.futureResult.get()
        return LineConnection(channel: channel, lines: lines)
    }

    func send(_ line: String) async throws {
        try await channel.writeAndFlush(BenchClient.encode(line, allocator: channel.allocator))
    }

    /// The next line from the server; throws when the connection is gone.
    func next() async throws -> String {
        guard let line = await iterator.next() else { throw Closed() }
        return line
    }

    func close() async {
        try? await channel.close()
    }
}

/// The stream's iterator, used by one caller at a time (each scenario reads its
/// connection sequentially, which is what makes the unchecked `Sendable` sound).
private final class SequentialIterator: @unchecked Sendable {
    private var iterator: AsyncStream<String>.AsyncIterator

    init(_ iterator: AsyncStream<String>.AsyncIterator) {
        self.iterator = iterator
    }

    func next() async -> String? {
        await iterator.next()
    }
}
