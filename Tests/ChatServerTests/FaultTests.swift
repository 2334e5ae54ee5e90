import ChatModel
import ChatCrypto
import ChatServer
import ChatStore
import ChatTestSupport
import ChatTLS
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import XCTest

/// Broken peers and hostile input, each as its own test: the server answers with a
/// clean error or a clean close, and nobody else notices.
final class FaultTests: XCTestCase {
    /// The bytes of a real ClientHello, made by the project's own client handler.
    private func clientHello(_ harness: ServerHarness) throws -> [UInt8] {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            try TLSHandler.client(context: harness.clientContext, serverName: "127.0.0.1")
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        var hello: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            hello += Array(buffer: buffer)
        }
        _ = try? channel.finish()
        return hello
    }

    func testClientHelloTrickledByteByByteIsCutOffAtTheDeadline() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.handshakeTimeout = .seconds(1) }
        let hello = try clientHello(harness)
        XCTAssertEqual(hello.first, 0x16, "not a TLS handshake record")
        let closedByServer = NIOLockedValueBox(false)
        let channel = try await ClientBootstrap(group: ServerHarness.clientGroup)
            .connect(host: "127.0.0.1", port: harness.port).get()
        channel.closeFuture.whenComplete { _ in closedByServer.withLockedValue { $0 = true } }
        let started = ContinuousClock.now
        for byte in hello {
            guard channel.isActive else { break }
            try? await channel.writeAndFlush(ByteBuffer(bytes: [byte]))
            try await Task.sleep(for: .milliseconds(50))
        }
        try await channel.closeFuture.get()
        XCTAssertTrue(closedByServer.withLockedValue { $0 })
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5), "the trickle was not cut off")
        XCTAssertTrue(harness.logs.joined.contains("kind=handshake-timeout"))
    }

    func testResetInTheMiddleOfALineDisturbsNobody() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        try await bob.sendRaw(Array("half a li".utf8))
        // SO_LINGER 0: close() sends RST instead of FIN.
        let socket = try XCTUnwrap(bob.channel as? SocketOptionProvider)
        try await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        await bob.close()
        let gone = try await harness.waitForLog("connection closed")
        XCTAssertTrue(gone)
        try await expectNothingPending(alice)  // the half line was never delivered
        let carol = try await harness.login("carol")
        try await alice.send("still here")
        try await expect(carol, "MSG #lobby alice still here")
        await alice.close()
        await carol.close()
    }

    func testThousandConnectionsFromOneAddressGetOnlyTheirShare() async throws {
        let harness = try await ServerHarness.start(for: self)  // default: 16 per address
        var channels: [Channel] = []
        for _ in 0..<1000 {
            if let channel = try? await ClientBootstrap(group: ServerHarness.clientGroup)
                .connect(host: "127.0.0.1", port: harness.port).get()
            {
                channels.append(channel)
            }
        }
        // Give the server a moment to close the excess ones.
        try await Task.sleep(for: .milliseconds(500))
        let stillOpen = channels.filter(\.isActive).count
        XCTAssertEqual(stillOpen, ServerConfiguration().maxConnectionsPerIP)
        for channel in channels { try? await channel.close() }
        try await Task.sleep(for: .milliseconds(200))
        // Once they are gone, a real client gets in.
        let alice = try await harness.login("alice")
        await alice.close()
    }

    func testHostileUserNamesAreJustFailedLogins() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.maxLoginFailures = 10 }
        let client = try await harness.connect()
        for name in ["alice:admin", "a\u{1B}[31m", String(repeating: "a", count: 33), "ålice", "../../etc"] {
            try await client.send("/login \(name) alice password")
            let reply = try await client.nextLine()
            if name.contains("\u{1B}") {
                XCTAssertEqual(reply, "ERR bad-encoding lines must be UTF-8 without control characters")
            } else {
                XCTAssertEqual(reply, "ERR auth-failed invalid name or password", name)
            }
        }
        XCTAssertTrue(harness.logs.joined.contains("user=alice?admin"), "the log line was not sanitised")
        await client.close()
    }

    func testAccountChangesDuringFiftyConcurrentLogins() async throws {
        let users = (0..<50).map { ("user\($0)", "pw\($0)") }
        let harness = try await ServerHarness.start(for: self, users: users) { $0.maxConnectionsPerIP = 100 }
        let useradd = try LifecycleTests.productsDirectory.appendingPathComponent("chat-useradd").path
        async let adding: [Int32] = {
            var statuses: [Int32] = []
            for index in 0..<10 {
                let result = try await ChildProcess.run(
                    useradd,
                    ["--db", harness.databasePath, "--cost", "minimum", "--password-stdin", "new\(index)"],
                    input: [.line("new-pw\(index)", pause: .zero)]
                )
                statuses.append(result.status)
            }
            return statuses
        }()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (name, password) in users {
                group.addTask {
                    let client = try await harness.connect()
                    try await client.send("/login \(name) \(password)")
                    let reply = try await client.nextLine(timeout: .seconds(30))
                    XCTAssertEqual(reply, "OK login \(name)")
                    await client.close()
                }
            }
            try await group.waitForAll()
        }
        let statuses = try await adding
        XCTAssertEqual(statuses, Array(repeating: 0, count: 10))
        for index in 0..<10 {
            let client = try await harness.login("new\(index)", "new-pw\(index)")
            await client.close()
        }
    }
}
