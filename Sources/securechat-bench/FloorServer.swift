import ArgumentParser
import ChatCrypto
import ChatProtocol
import ChatTLS
import Foundation
import NIOCore
import NIOPosix

/// `securechat-bench floor-server`: the least a SwiftNIO server built on this project's
/// TLS handler does, to measure what that stack costs per connection and per delivery
/// beside securechat (our code on top) and `Scripts/tls-floor` (OpenSSL alone), driven
/// by the same load generator. Not a chat server; the same line behaviour as the C
/// probe: `HELLO` after the handshake, `OK <command>` to every line starting with `/`,
/// and every other line of a connection that sent `/join` relayed to every other such
/// connection as `MSG #bench <name> <line>` (the name from `/login <name> ...`), one
/// write and flush per recipient. One event loop, no store, no limits, and no hashing
/// unless `--argon2id`: then each `/login`'s password is checked against an Argon2id
/// hash of `benchpass` at libsodium's minimum cost, on the loop (answering `ERR login`
/// to a wrong one), the least a login that checks a real password hash costs.
struct FloorServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floor-server",
        abstract: "A do-nothing server on SwiftNIO and ChatTLS, to measure that stack's floor."
    )

    @Option(help: "Port on 127.0.0.1 (0: any free port, logged on stderr).") var port: Int
    @Option(help: "PEM certificate chain.") var cert: String
    @Option(help: "PEM private key.") var key: String
    @Flag(help: "Check each /login's password against an Argon2id hash of 'benchpass' (minimum cost).")
    var argon2id = false

    func run() throws {
        let context = try TLSContext.server(certificateChainPath: cert, privateKeyPath: key)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let hasher = PasswordHasher(cost: .minimum)
        let passwordHash = argon2id ? try hasher.hash("benchpass") : nil
        // Made on the loop, which alone touches them.
        let (room, writeBuffers) = try loop.submit {
            (NIOLoopBound(FloorRoom(), eventLoop: loop), NIOLoopBound(TLSWriteBuffers(), eventLoop: loop))
        }.wait()
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let options = channel.syncOptions {
                        try options.setOption(.tcpOption(.tcp_nodelay), value: 1)
                        try options.setOption(
                            .recvAllocator,
                            value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 16 * 1024)
                        )
                    }
                    try channel.pipeline.syncOperations.addHandlers([
                        try TLSHandler.server(context: context, writeBuffers: writeBuffers.value),
                        FloorHandler(room: room, passwords: passwordHash.map { (hasher, $0) }),
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .wait()
        // On stderr, in the server's words, for scripts and tests that wait for it.
        FileHandle.standardError.write(Data("floor-server listening address=127.0.0.1:\(channel.localAddress?.port ?? port)\n".utf8))
        try channel.closeFuture.wait()
    }
}

/// Everyone who sent `/join`, in an array as the C probe keeps them (leaving swaps the
/// last member into the gap). Touched only on the one event loop.
private final class FloorRoom {
    private(set) var members: [FloorHandler] = []

    func join(_ member: FloorHandler) {
        guard member.slot == nil else { return }
        member.slot = members.count
        members.append(member)
    }

    func leave(_ member: FloorHandler) {
        guard let slot = member.slot else { return }
        let last = members.removeLast()
        if last !== member {
            members[slot] = last
            last.slot = slot
        }
        member.slot = nil
    }
}

private final class FloorHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let room: NIOLoopBound<FloorRoom>
    /// With `--argon2id`: what each `/login`'s password is checked against.
    private let passwords: (hasher: PasswordHasher, hash: String)?
    private var context: ChannelHandlerContext?
    private var name = ""
    /// Framed here, as securechat's session handler does (no `ByteToMessageHandler`).
    private var framer = LineFramer(maxLineLength: 4096)
    /// Where this connection sits in the room's array, once it joined.
    fileprivate var slot: Int?

    init(room: NIOLoopBound<FloorRoom>, passwords: (hasher: PasswordHasher, hash: String)?) {
        self.room = room
        self.passwords = passwords
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        room.value.leave(self)
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        room.value.leave(self)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSEvent {
            send("HELLO floor welcome\r\n")
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        framer.append(unwrapInboundIn(data))
        do {
            while let line = try framer.nextLine() {
                if case .text(let text) = line { handle(text) }
            }
        } catch {
            context.close(promise: nil)
        }
    }

    private func handle(_ line: String) {
        guard line.hasPrefix("/") else {
            guard slot != nil else { return }
            let relayed = "MSG #bench \(name) \(line)\r\n"
            for member in room.value.members where member !== self {
                member.send(relayed)
            }
            return
        }
        let words = line.dropFirst().split(separator: " ", maxSplits: 2)
        let command = words.first.map(String.init) ?? ""
        if command == "login", words.count > 1 {
            name = String(words[1])
            if let passwords, !passwords.hasher.verify(words.count > 2 ? String(words[2]) : "", against: passwords.hash) {
                send("ERR login\r\n")
                return
            }
        }
        if command == "join" { room.value.join(self) }
        send("OK \(command)\r\n")
    }

    private func send(_ text: String) {
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
    }
}
