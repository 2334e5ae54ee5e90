import ChatCrypto
import ChatModel
import ChatProtocol
import ChatStore
import ChatTestSupport
@testable import ChatTLS
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import XCTest

@testable import ChatServer

/// The session handler on a testing channel, with the real authenticator (Argon2id
/// at its lowest cost) and a real SQLite file, but no socket: for the orderings a live
/// connection produces only by chance.
final class SessionHandlerTests: XCTestCase {
    private var store: SQLiteStore!
    private var authenticator: Authenticator!
    private var directory: AccountDirectory!
    private let hub = Hub(limits: Hub.Limits(roomsPerAccount: 100, rooms: 100, namesPerLine: 100))
    private let logs = CapturedLogs()

    override func setUp() async throws {
        let folder = try makeTemporaryDirectory()
        store = try SQLiteStore(path: folder.appendingPathComponent("users.db").path)
        try store.addUser(UserName("alice")!, passwordHash: try PasswordHasher(cost: .minimum).hash("alice-pw"))
        authenticator = try Authenticator(accounts: store, hasher: PasswordHasher(cost: .minimum), threads: 1, maxQueued: 4, logger: logger)
        directory = AccountDirectory(accounts: store, keys: store)
    }

    override func tearDown() async throws {
        await authenticator.shutdown()
        try store.close()
    }

    private var logger: Logger {
        var logger = Logger(label: "session-handler-test") { [logs] _ in CapturingLogHandler(logs: logs) }
        logger.logLevel = .debug
        return logger
    }

    private func makeChannel(linesPerSecond: Double = 0, lineBurst: Int = 20) async throws -> NIOAsyncTestingChannel {
        let settings = SessionHandler.Settings(
            serverName: "test", maxLoginFailures: 3, maxOutboundQueueBytes: 64 * 1024,
            loginGracePeriod: .seconds(30), idleTimeout: .seconds(300), pingTimeout: .seconds(60),
            linesPerSecond: linesPerSecond, lineBurst: lineBurst, maxLinesBeforeLogin: 16, maxBytesBeforeLogin: 16 * 1024,
            maxLineLength: 64
        )
        let (hub, authenticator, directory, logger, store) = (hub, authenticator!, directory!, logger, store!)
        return try await NIOAsyncTestingChannel { channel in
            let services = SessionServices(
                router: hub,
                conversations: Conversations(store: store, accounts: store, hub: hub),
                accounts: directory,
                passwords: authenticator,
                throttle: LoginThrottle(base: .zero, cap: .zero, decay: .seconds(1)),
                logger: logger
            )
            let handler = SessionHandler(
                services: services,
                settings: settings,
                flusher: OutboundFlusher(eventLoop: channel.eventLoop),
                timeouts: SessionTimeouts(eventLoop: channel.eventLoop, interval: .seconds(1)),
                now: channel.eventLoop.now
            )
            try channel.pipeline.syncOperations.addHandler(handler)
        }
    }

    /// Waits (bounded) until the server has logged `message`.
    private func waitForLog(_ message: String, file: StaticString = #filePath, line: UInt = #line) async throws {
        for _ in 0..<500 where !logs.joined.contains(message) {
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertTrue(logs.joined.contains(message), "never logged: \(message)", file: file, line: line)
    }

    /// Everything the handler has written so far, as lines.
    private func written(_ channel: NIOAsyncTestingChannel) async throws -> [String] {
        // Output leaves at the end of a loop pass (OutboundFlusher): run the pass.
        await channel.testingEventLoop.run()
        var lines: [String] = []
        while let buffer = try await channel.readOutbound(as: ByteBuffer.self) {
            lines += String(buffer: buffer).split(separator: "\r\n").map(String.init)
        }
        return lines
    }

    /// The review's "ghost session": the connection goes away while the password is
    /// checked. NIO removes the handlers a loop turn after `channelInactive`, and a
    /// completion landing in between used to register a session with no socket, online
    /// and in `#lobby` forever.
    func testALoginThatCompletesAfterTheConnectionWentAwayLeavesNoSession() async throws {
        let channel = try await makeChannel()
        try await channel.testingEventLoop.executeInContext {
            channel.pipeline.fireChannelRead(ByteBuffer(string: "/login alice alice-pw\n"))
            channel.pipeline.fireChannelInactive()
        }
        try await waitForLog("login succeeded after the connection closed")
        try await channel.testingEventLoop.executeInContext {}

        XCTAssertNil(hub.membersPage(of: .lobby, after: nil), "nobody is in #lobby")
        XCTAssertNil(hub.onlineAccount(named: UserName("alice")!), "alice is not online")
    }

    /// A lock that lands while the password is being checked: the check passes with
    /// the old credentials, and the session must still not get in.
    func testALoginWhoseAccountChangedDuringThePasswordCheckIsRefused() async throws {
        let alice = try XCTUnwrap(try store.user(named: UserName("alice")!)).credential
        let channel = try await makeChannel()
        hub.credentialsChanged(alice.account, .locked(generation: alice.generation + 1))
        try await channel.writeInbound(ByteBuffer(string: "/login alice alice-pw\n"))
        try await waitForLog("login refused: account changed during the password check")
        try await channel.testingEventLoop.executeInContext {}

        let lines = try await written(channel)
        XCTAssertEqual(lines, ["BYE account disabled"])
        XCTAssertNil(hub.membersPage(of: .lobby, after: nil))
    }

    /// Lines sent before login are held while the password is checked; a flood of them
    /// ends the connection instead of parking memory for the grace period.
    func testAFloodOfLinesBeforeLoginEndsTheConnection() async throws {
        let channel = try await makeChannel()
        try await channel.testingEventLoop.executeInContext {
            channel.pipeline.fireChannelRead(ByteBuffer(string: "/login alice alice-pw\n"))
            for _ in 0..<1_000 {
                channel.pipeline.fireChannelRead(ByteBuffer(string: "/ping x\n"))
            }
        }
        try await channel.testingEventLoop.executeInContext {}
        let lines = try await written(channel)
        XCTAssertEqual(lines, ["ERR flood too many lines before login", "BYE excess flood"])
        try await waitForLog("too many lines before login, closing")
        XCTAssertNil(hub.membersPage(of: .lobby, after: nil), "the login in flight did not get in")
    }

    func testAFewLinesTypedAheadOfTheLoginAreAnsweredInOrder() async throws {
        let channel = try await makeChannel()
        try await channel.testingEventLoop.executeInContext {
            channel.pipeline.fireChannelRead(ByteBuffer(string: "/login alice alice-pw\n"))
            for token in 1...10 {
                channel.pipeline.fireChannelRead(ByteBuffer(string: "/ping \(token)\n"))
            }
        }
        try await waitForLog("login succeeded")
        var lines: [String] = []
        for _ in 0..<200 where lines.count < 11 {
            try await channel.testingEventLoop.executeInContext {}
            lines += try await written(channel)
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertEqual(lines, ["OK login alice"] + (1...10).map { "PONG \($0)" })
    }

    /// The handler frames lines itself: a line cut across reads counts once it is
    /// whole, one read may carry several, and a partial line waits for its LF.
    func testLinesSplitAcrossReadsOrSharingOneAreAnsweredInOrder() async throws {
        let channel = try await makeChannel()
        try await channel.testingEventLoop.executeInContext {
            for piece in ["/pi", "ng o", "ne\r", "\n/ping two\n/ping three\n/pi"] {
                channel.pipeline.fireChannelRead(ByteBuffer(string: piece))
            }
        }
        let lines = try await written(channel)
        XCTAssertEqual(lines, ["PONG one", "PONG two", "PONG three"])
        try await channel.writeInbound(ByteBuffer(string: "ng four\n"))
        let more = try await written(channel)
        XCTAssertEqual(more, ["PONG four"])
    }

    /// Past the limit (64 bytes here) without an LF, the line is refused before it
    /// ends, and nothing after it is read.
    func testALineOverTheLimitEndsTheConnectionBeforeItsEnd() async throws {
        let channel = try await makeChannel()
        try await channel.testingEventLoop.executeInContext {
            channel.pipeline.fireChannelRead(ByteBuffer(string: "/ping " + String(repeating: "x", count: 40)))
            channel.pipeline.fireChannelRead(ByteBuffer(string: String(repeating: "x", count: 40)))
            channel.pipeline.fireChannelRead(ByteBuffer(string: "\n/ping after\n"))
        }
        let lines = try await written(channel)
        XCTAssertEqual(lines, ["ERR line-too-long lines are limited to 64 bytes"])
        try await waitForLog("line too long, closing")
    }

    func testNamesAreLoggedAsShortASCII() {
        XCTAssertEqual(SessionHandler.loggable("alice_1.x-y"), "alice_1.x-y")
        // Cyrillic "а" looks like Latin "a": logged verbatim it would impersonate alice.
        XCTAssertEqual(SessionHandler.loggable("\u{430}lice"), "?lice")
        // One "character" of 3,000 bytes: a letter with a pile of combining marks.
        let pile = "a" + String(repeating: "\u{301}", count: 1_500)
        let logged = SessionHandler.loggable(pile)
        XCTAssertLessThanOrEqual(logged.utf8.count, 67)
        XCTAssertTrue(logged.unicodeScalars.allSatisfy(\.isASCII))
        XCTAssertEqual(SessionHandler.loggable("a\u{1b}[31mb\nc"), "a??31mb?c")
    }

    // MARK: Time, on the loop's clock

    private func completeHandshake(_ channel: NIOAsyncTestingChannel) async throws {
        let info = TLSSessionInfo(protocolVersion: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", peerCertificateDER: nil, serverCertificate: nil)
        try await channel.testingEventLoop.executeInContext {
            channel.pipeline.fireUserInboundEventTriggered(TLSEvent.handshakeCompleted(info))
        }
    }

    private func logIn(_ channel: NIOAsyncTestingChannel) async throws {
        try await channel.writeInbound(ByteBuffer(string: "/login alice alice-pw\n"))
        try await waitForLog("login succeeded")
        for _ in 0..<500 {
            try await channel.testingEventLoop.executeInContext {}
            if logs.joined.contains("login succeeded") { break }
        }
        let lines = try await written(channel)
        XCTAssertEqual(lines.last, "OK login alice")
    }

    func testTheLoginGracePeriodEndsTheConnection() async throws {
        let channel = try await makeChannel()
        try await completeHandshake(channel)
        await channel.testingEventLoop.advanceTime(by: .seconds(29))
        var lines = try await written(channel)
        XCTAssertEqual(lines, ["HELLO test welcome; log in with /login <name> <password>"])
        await channel.testingEventLoop.advanceTime(by: .seconds(2))
        lines = try await written(channel)
        XCTAssertEqual(lines, ["BYE login timeout"])
    }

    func testSilencePingsAndAnUnansweredPingEndsTheSession() async throws {
        let channel = try await makeChannel()
        try await completeHandshake(channel)
        try await logIn(channel)
        await channel.testingEventLoop.advanceTime(by: .seconds(301))
        var lines = try await written(channel)
        XCTAssertEqual(lines.count, 1)
        XCTAssertEqual(lines.first?.hasPrefix("PING "), true, "\(lines)")
        await channel.testingEventLoop.advanceTime(by: .seconds(61))
        lines = try await written(channel)
        XCTAssertEqual(lines, ["BYE ping timeout"])
    }

    func testAnyLineAnswersThePing() async throws {
        let channel = try await makeChannel()
        try await completeHandshake(channel)
        try await logIn(channel)
        await channel.testingEventLoop.advanceTime(by: .seconds(301))
        _ = try await written(channel)
        try await channel.writeInbound(ByteBuffer(string: "/pong whatever\n"))
        await channel.testingEventLoop.advanceTime(by: .seconds(120))
        let lines = try await written(channel)
        XCTAssertEqual(lines, [], "no farewell: the session answered")
    }

    func testTheRateLimitDelaysLinesOnTheLoopClock() async throws {
        let channel = try await makeChannel(linesPerSecond: 5, lineBurst: 3)
        try await channel.testingEventLoop.executeInContext {
            for token in 1...6 {
                channel.pipeline.fireChannelRead(ByteBuffer(string: "/ping \(token)\n"))
            }
        }
        var lines = try await written(channel)
        XCTAssertEqual(lines, ["PONG 1", "PONG 2", "PONG 3"], "the burst at once")
        await channel.testingEventLoop.advanceTime(by: .milliseconds(200))
        lines = try await written(channel)
        XCTAssertEqual(lines, ["PONG 4"], "then five a second")
        await channel.testingEventLoop.advanceTime(by: .milliseconds(400))
        lines = try await written(channel)
        XCTAssertEqual(lines, ["PONG 5", "PONG 6"], "delayed, never dropped, in order")
    }

    /// A login's look-up of the account reads its rooms and whether direct messages
    /// wait in the same trip to the store; the hub trusts that read only while nothing
    /// it has seen since can have changed them: the account's own joins and leaves (on
    /// a session gone by now), a direct message that found it offline, or too much time.
    func testAPrefetchedLoginIsTrustedOnlyWhileNothingItReadCanHaveChanged() async throws {
        let aliceName = UserName("alice")!
        let alice = try XCTUnwrap(try store.user(named: aliceName)).credential.account
        let channel = try await makeChannel()
        let hub = hub
        func verified() async throws -> (VerifiedLogin, LoginPrefetch) {
            let outcome = try await authenticator.verifyLogin(name: "alice", password: "alice-pw", on: channel.eventLoop).get()
            guard case .verified(let login, let prefetch) = outcome else { throw TestLoginError(description: "alice did not log in") }
            return (login, prefetch)
        }
        /// Registers a session of alice with `prefetch`, then takes it out again.
        func register(_ login: VerifiedLogin, _ prefetch: LoginPrefetch, after delay: TimeAmount = .zero) async throws
            -> Hub.PrefetchedRegistration
        {
            try await channel.testingEventLoop.executeInContext {
                let handler = try channel.pipeline.syncOperations.handler(type: SessionHandler.self)
                let handle = SessionHandle(id: SessionID.next(), login: login, handler: handler, eventLoop: channel.eventLoop)
                let registration = hub.register(handle, prefetched: prefetch, now: prefetch.readAt + delay)
                hub.unregister(handle)
                return registration
            }
        }

        let (login, quiet) = try await verified()
        XCTAssertEqual(quiet.rooms, [.lobby])
        XCTAssertEqual(quiet.hasOfflineMessages, false)
        var registration = try await register(login, quiet)
        XCTAssertEqual(registration, .registered(takeOfflineQueue: false), "nothing happened since the read")
        registration = try await register(login, quiet, after: Hub.recentChangeMemory)
        XCTAssertEqual(registration, .roomsOutdated, "older than the hub's memory")

        // Another session of alice joins a room after this login's read, and goes.
        _ = try await store.join(alice, room: RoomName("#plans")!)
        hub.joined(RoomName("#plans")!, account: alice, user: aliceName, by: SessionID.next(), now: quiet.readAt + .milliseconds(1))
        registration = try await register(login, quiet)
        XCTAssertEqual(registration, .roomsOutdated)
        let (_, later) = try await verified()
        XCTAssertEqual(later.rooms, [.lobby, RoomName("#plans")!])
        registration = try await register(login, later)
        XCTAssertEqual(registration, .registered(takeOfflineQueue: false), "read after the join")

        // A direct message finds alice offline after this read: it may be queued.
        _ = hub.onlineAccount(named: UserName("ALICE")!, now: later.readAt + .milliseconds(1))
        registration = try await register(login, later)
        XCTAssertEqual(registration, .registered(takeOfflineQueue: true))
        try await channel.close()
    }

    /// A login reads its account's rooms from the store, then registers in the hub.
    /// A kick or drop that commits in between reaches the hub first: the login must
    /// not bring the room back, or a kicked account would go on reading a private
    /// room. Here the store still lists bob as a member, as that login's read did.
    func testALoginThatReadItsRoomsJustBeforeAKickOrDropDoesNotGetThemBack() async throws {
        let (plans, team) = (RoomName("#plans")!, RoomName("#team")!)
        let aliceName = UserName("alice")!
        let bobName = UserName("bob")!
        try store.addUser(bobName, passwordHash: try PasswordHasher(cost: .minimum).hash("bob-pw"))
        let alice = try XCTUnwrap(try store.user(named: aliceName)).credential.account
        let bob = try XCTUnwrap(try store.user(named: bobName)).credential.account
        for room in [plans, team, RoomName("#open")!] {
            _ = try await store.join(alice, room: room)
            _ = try await store.join(bob, room: room)
        }
        hub.kicked(plans, account: bob, user: bobName, by: aliceName, asker: SessionID.next())
        hub.dropped(team, by: aliceName, asker: SessionID.next())

        func logInBob() async throws -> NIOAsyncTestingChannel {
            let channel = try await makeChannel()
            try await channel.writeInbound(ByteBuffer(string: "/login bob bob-pw\n"))
            var lines: [String] = []
            for _ in 0..<500 where !lines.contains("OK login bob") {
                try await channel.testingEventLoop.executeInContext {}
                lines += try await written(channel)
                try await Task.sleep(for: .milliseconds(10))
            }
            XCTAssertEqual(lines, ["OK login bob"])
            return channel
        }
        let first = try await logInBob()
        XCTAssertEqual(hub.rooms(of: bob).map(\.display), ["#lobby", "#open"])
        try await first.close()
        XCTAssertTrue(hub.rooms(of: bob).isEmpty, "bob is offline")

        // The marks are kept only as long as a login can take; then the store is
        // the whole truth again (here it still says bob is in both).
        hub.forgetOldChanges(now: .now() + Hub.recentChangeMemory + .seconds(1))
        let second = try await logInBob()
        XCTAssertEqual(hub.rooms(of: bob).map(\.display), ["#lobby", "#open", "#plans", "#team"])
        try await second.close()
    }
}
