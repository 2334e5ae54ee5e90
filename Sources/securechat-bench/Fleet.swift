import ChatTLS
import NIOCore

/// Accounts the generator logs in as: `prefix` + a four-digit number below `count`.
/// Many connections may share one account (the server allows a user several
/// sessions), so a 1,000-connection room needs far fewer accounts.
struct BenchAccounts: Sendable {
    let prefix: String
    let count: Int
    let password: String

    func name(forClient client: Int) -> String {
        let number = String(client % count)
        return prefix + String(repeating: "0", count: max(0, 4 - number.count)) + number
    }
}

/// Many long-lived client sessions on one event loop: connects them at most
/// `concurrency` at a time, logs each in, runs its setup commands, then hands its
/// lines to `onLine`. Counts `JOIN` notices: a login tells nobody, so a reconnect
/// storm should see none.
///
/// Loop-confined: every method runs on `loop`.
final class Fleet: ClientEvents {
    private enum Phase {
        case waiting
        case connecting
        case awaitingHello
        case awaitingLogin
        /// Logged in; this many setup commands still await their `OK`.
        case settingUp(remaining: Int)
        case ready
        case gone
    }

    let loop: any EventLoop
    private let target: BenchTarget
    private let accounts: BenchAccounts
    private let setupCommands: (Int) -> [String]
    /// False: sessions are ready right after `HELLO`, never logged in.
    private let logsIn: Bool
    private let allocator = ByteBufferAllocator()

    private(set) var channels: [(any Channel)?] = []
    private var phases: [Phase] = []
    private var nextToConnect = 0
    private var inProgress = 0
    private var concurrency = 1
    private(set) var readyCount = 0
    private(set) var failures = FailureLog()
    private(set) var joinNotices = 0
    private(set) var sessionInfo: TLSSessionInfo?
    private var opened: EventLoopPromise<Void>?
    private var closedCount = 0
    private var allClosed: EventLoopPromise<Void>?

    /// Lines of sessions that are ready; set before `open`.
    var onLine: (String, Int) -> Void = { _, _ in }
    /// Called when a ready session goes away (a scenario may count it as a failure).
    var onLost: (Int) -> Void = { _ in }
    /// SO_RCVBUF for a client's socket (nil: the system's default); set before `open`.
    var receiveBufferBytes: (Int) -> Int? = { _ in nil }
    /// Clients the server is expected to cut off (stalled readers): losing one is
    /// reported through `onLost` but not recorded as a failure.
    var mayBeCutOff: (Int) -> Bool = { _ in false }

    init(
        loop: any EventLoop,
        target: BenchTarget,
        accounts: BenchAccounts,
        logsIn: Bool = true,
        setupCommands: @escaping (Int) -> [String] = { _ in [] }
    ) {
        self.loop = loop
        self.logsIn = logsIn
        self.target = target
        self.accounts = accounts
        self.setupCommands = setupCommands
    }

    var count: Int { channels.count }

    /// Opens `count` sessions; succeeds once every one is ready, fails on the first
    /// that cannot be opened (a benchmark on a partial room would be misleading).
    func open(count: Int, concurrency: Int) -> EventLoopFuture<Void> {
        precondition(channels.isEmpty, "a fleet opens once")
        let promise = loop.makePromise(of: Void.self)
        channels = Array(repeating: nil, count: count)
        phases = Array(repeating: .waiting, count: count)
        self.concurrency = max(1, concurrency)
        opened = promise
        if count == 0 {
            promise.succeed()
        } else {
            connectMore()
        }
        return promise.futureResult
    }

    /// Closes every session with close_notify and waits until all are gone.
    func closeAll() -> EventLoopFuture<Void> {
        if let opened {
            self.opened = nil
            opened.fail(BenchError("closed before every session was ready"))
        }
        nextToConnect = channels.count
        let promise = loop.makePromise(of: Void.self)
        allClosed = promise
        for channel in channels {
            channel?.close(promise: nil)
        }
        checkAllClosed()
        return promise.futureResult
    }

    func write(_ buffer: ByteBuffer, client: Int, flush: Bool = true) {
        guard let channel = channels[client] else { return }
        if flush {
            channel.writeAndFlush(buffer, promise: nil)
        } else {
            channel.write(buffer, promise: nil)
        }
    }

    func flush(client: Int) {
        channels[client]?.flush()
    }

    /// Stops (false) or resumes (true) reading from a client's socket.
    func setAutoRead(_ on: Bool, client: Int) {
        guard let channel = channels[client] else { return }
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: on)
        if on { channel.read() }
    }

    /// True while client `client`'s session is ready and its channel open.
    func isOpen(_ client: Int) -> Bool {
        guard case .ready = phases[client] else { return false }
        return channels[client]?.isActive ?? false
    }

    func send(_ line: String, client: Int) {
        write(BenchClient.encode(line, allocator: allocator), client: client)
    }

    // MARK: Opening

    private func connectMore() {
        while inProgress < concurrency, nextToConnect < channels.count {
            let client = nextToConnect
            nextToConnect += 1
            inProgress += 1
            phases[client] = .connecting
            let events = NIOLoopBound<any ClientEvents>(self, eventLoop: loop)
            BenchClient.connect(client: client, to: target, events: events, receiveBufferBytes: receiveBufferBytes(client), on: loop)
                .assumeIsolated()
                .whenComplete { [self] result in
                    switch result {
                    case .success(let channel):
                        if case .gone = phases[client] {
                            channel.close(promise: nil)
                        } else {
                            channels[client] = channel
                        }
                    case .failure(let error):
                        fail(client, "connect: \(error)")
                    }
                }
        }
    }

    private func becameReady(_ client: Int) {
        phases[client] = .ready
        readyCount += 1
        inProgress -= 1
        if readyCount == channels.count, let opened {
            self.opened = nil
            opened.succeed()
        } else {
            connectMore()
        }
    }

    private func fail(_ client: Int, _ reason: String) {
        let wasReady: Bool
        switch phases[client] {
        case .gone: return
        case .ready: wasReady = true
        default: wasReady = false
        }
        phases[client] = .gone
        channels[client]?.close(promise: nil)
        if wasReady, mayBeCutOff(client) {
            readyCount -= 1
            onLost(client)
            return
        }
        failures.record("client \(client): \(reason)")
        if wasReady {
            readyCount -= 1
            onLost(client)
        } else if let opened {
            self.opened = nil
            opened.fail(BenchError("session \(client) could not be opened: \(reason)"))
        }
    }

    private func checkAllClosed() {
        guard let allClosed else { return }
        let open = channels.contains { channel in channel.map { $0.isActive } ?? false }
        if !open || closedCount >= channels.count {
            self.allClosed = nil
            allClosed.succeed()
        }
    }

    // MARK: ClientEvents

    func handshakeCompleted(client: Int, info: TLSSessionInfo) {
        if sessionInfo == nil { sessionInfo = info }
        if case .connecting = phases[client] {
            phases[client] = .awaitingHello
        }
    }

    func received(_ line: String, client: Int) {
        if line.utf8.first == UInt8(ascii: "J"), line.hasPrefix("JOIN ") {
            joinNotices += 1
        }
        if line.utf8.first == UInt8(ascii: "P"), line.hasPrefix("PING ") {
            // A server that checks on idle sessions: answer like a live client.
            return send("/pong \(line.dropFirst(5))", client: client)
        }
        switch phases[client] {
        case .ready:
            onLine(line, client)
        case .awaitingHello:
            guard line.hasPrefix("HELLO ") else { return fail(client, "expected HELLO, got \(line.prefix(80))") }
            guard logsIn else { return becameReady(client) }
            phases[client] = .awaitingLogin
            send("/login \(accounts.name(forClient: client)) \(accounts.password)", client: client)
        case .awaitingLogin:
            if line.hasPrefix("OK login") {
                let commands = setupCommands(client)
                if commands.isEmpty {
                    becameReady(client)
                } else {
                    phases[client] = .settingUp(remaining: commands.count)
                    for command in commands { send(command, client: client) }
                }
            } else if line.hasPrefix("ERR ") {
                fail(client, "login refused: \(line.prefix(80))")
            }
        case .settingUp(let remaining):
            if line.hasPrefix("OK ") {
                if remaining == 1 {
                    becameReady(client)
                } else {
                    phases[client] = .settingUp(remaining: remaining - 1)
                }
            } else if line.hasPrefix("ERR ") {
                fail(client, "setup refused: \(line.prefix(80))")
            }
        case .waiting, .connecting, .gone:
            break
        }
    }

    func failed(client: Int, error: any Error) {
        fail(client, "\(error)")
    }

    func closed(client: Int) {
        closedCount += 1
        switch phases[client] {
        case .gone:
            break
        default:
            if allClosed == nil {
                fail(client, "server closed the connection")
            }
            phases[client] = .gone
        }
        checkAllClosed()
    }
}

/// Failures, counted; the first few kept with their reasons for the report.
struct FailureLog: Sendable {
    private(set) var count = 0
    private(set) var examples: [String] = []

    mutating func record(_ reason: String) {
        count += 1
        if examples.count < 5 { examples.append(reason) }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
