import ChatServer
import ChatTestSupport
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

/// The `/metrics` endpoint, scraped over real HTTP from a live server after known
/// activity over real TLS.
final class MetricsTests: XCTestCase {
    func testScrapeAfterKnownActivityShowsExactCounts() async throws {
        let harness = try await ServerHarness.start {
            $0.metricsListen = MetricsAddress(host: "127.0.0.1", port: 0)
        }
        let metricsPort = try XCTUnwrap(harness.server.metricsAddress?.port)

        // Nothing has happened yet: every counter is there, at zero.
        let before = try await Self.scrape(port: metricsPort)
        XCTAssertEqual(before.status, 200)
        XCTAssertEqual(before.samples["securechat_logins_total"], 0)
        XCTAssertEqual(before.samples[#"securechat_connections{state="logged_in"}"#], 0)

        let alice = try await harness.login("alice")
        let bob = try await harness.login("bob")
        let carol = try await harness.login("carol")
        let stranger = try await harness.connect()
        try await stranger.send("/login bob not-bobs-password")
        try await expect(stranger, prefix: "ERR")

        try await alice.send("hello room")
        try await expect(bob, "MSG #lobby alice hello room")
        try await expect(carol, "MSG #lobby alice hello room")
        try await alice.send("/msg bob hello bob")
        try await expect(bob, "DM alice hello bob")
        try await expect(alice, "OK msg bob")

        let scrape = try await Self.scrape(port: metricsPort)
        XCTAssertEqual(scrape.status, 200)
        XCTAssertTrue(scrape.contentType.hasPrefix("text/plain; version=0.0.4"), scrape.contentType)
        let expected: [String: Double] = [
            "securechat_logins_total": 3,
            #"securechat_login_failures_total{reason="wrong_password"}"#: 1,
            #"securechat_login_failures_total{reason="no_such_user"}"#: 0,
            #"securechat_login_failures_total{reason="invalid_name"}"#: 0,
            #"securechat_login_failures_total{reason="locked"}"#: 0,
            "securechat_login_penalties_total": 0,
            "securechat_busy_replies_total": 0,
            #"securechat_messages_total{kind="room"}"#: 1,
            #"securechat_messages_total{kind="dm"}"#: 1,
            #"securechat_messages_total{kind="edm"}"#: 0,
            // Two room members and one session of bob's.
            "securechat_deliveries_total": 3,
            "securechat_slow_consumers_total": 0,
            "securechat_rate_limit_delays_total": 0,
            "securechat_tls_handshake_failures_total": 0,
            "securechat_account_change_disconnects_total": 0,
            #"securechat_connections{state="handshaking"}"#: 0,
            #"securechat_connections{state="awaiting_login"}"#: 1,
            #"securechat_connections{state="logged_in"}"#: 3,
            "securechat_password_checks_waiting": 0,
            // One hash per login attempt, each timed from admission to its start.
            "securechat_password_check_wait_seconds_count": 4,
        ]
        for (name, value) in expected.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(scrape.samples[name], value, name)
        }
        let expiry = try XCTUnwrap(scrape.samples["securechat_certificate_expiry_timestamp_seconds"])
        XCTAssertGreaterThan(expiry, Date().timeIntervalSince1970)
        XCTAssertFalse(scrape.body.contains("alice") || scrape.body.contains("lobby"), "a user or room name leaked into the metrics")

        // The last-login stamps are written in a batch within a second: then timed once.
        try await Self.eventually {
            try await Self.scrape(port: metricsPort).samples["securechat_login_stamp_batch_seconds_count"] == 1
        }

        // Connections leave the gauges as they close.
        for client in [alice, bob, carol, stranger] { await client.close() }
        try await Self.eventually {
            let samples = try await Self.scrape(port: metricsPort).samples
            return samples[#"securechat_connections{state="logged_in"}"#] == 0
                && samples[#"securechat_connections{state="awaiting_login"}"#] == 0
        }
        await harness.stop()
    }

    func testOnlyGetMetricsIsServed() async throws {
        let harness = try await ServerHarness.start {
            $0.metricsListen = MetricsAddress(host: "127.0.0.1", port: 0)
        }
        let port = try XCTUnwrap(harness.server.metricsAddress?.port)
        let other = try await Self.fetch(port: port, "GET /other HTTP/1.1")
        XCTAssertEqual(other.status, 404)
        let post = try await Self.fetch(port: port, "POST /metrics HTTP/1.1")
        XCTAssertEqual(post.status, 405)
        await harness.stop()
        // The endpoint closes with the server.
        do {
            _ = try await Self.fetch(port: port, "GET /metrics HTTP/1.1")
            XCTFail("the metrics endpoint still answers after stop")
        } catch {}
    }

    func testFailedHandshakeAndLoginPenaltyAreCounted() async throws {
        let harness = try await ServerHarness.start {
            $0.metricsListen = MetricsAddress(host: "127.0.0.1", port: 0)
            $0.loginPenaltyBase = .milliseconds(10)
        }
        let port = try XCTUnwrap(harness.server.metricsAddress?.port)
        // Plain HTTP to the TLS port fails the handshake.
        let refused = try await Self.fetch(port: harness.port, "GET / HTTP/1.1")
        XCTAssertEqual(refused.status, 0, "the TLS port answered HTTP")
        let client = try await harness.connect()
        try await client.send("/login nobody x")
        try await expect(client, prefix: "ERR")
        try await client.send("/login alice alice password")
        try await expect(client, "OK login alice")

        let samples = try await Self.scrape(port: port).samples
        XCTAssertEqual(samples["securechat_tls_handshake_failures_total"], 1)
        XCTAssertEqual(samples[#"securechat_login_failures_total{reason="no_such_user"}"#], 1)
        XCTAssertEqual(samples["securechat_login_penalties_total"], 1)
        XCTAssertEqual(samples["securechat_logins_total"], 1)
        await client.close()
        await harness.stop()
    }

    func testMetricsAreOffByDefault() async throws {
        let harness = try await ServerHarness.start()
        XCTAssertNil(harness.server.configuration.metricsListen)
        XCTAssertNil(harness.server.metricsAddress)
        XCTAssertFalse(harness.logs.joined.contains("metrics"), harness.logs.joined)
        await harness.stop()
    }

    func testMetricsAddressParsing() {
        XCTAssertEqual(MetricsAddress("127.0.0.1:9464"), MetricsAddress(host: "127.0.0.1", port: 9464))
        XCTAssertEqual(MetricsAddress("[::1]:9464"), MetricsAddress(host: "::1", port: 9464))
        XCTAssertEqual(MetricsAddress("[::1]:9464")?.description, "[::1]:9464")
        XCTAssertEqual(MetricsAddress("localhost:0"), MetricsAddress(host: "localhost", port: 0))
        for bad in ["9464", ":9464", "::1:9464", "host:", "host:70000", "host:x", "a b:1"] {
            XCTAssertNil(MetricsAddress(bad), bad)
        }
    }

    // MARK: A plain HTTP client

    struct Response {
        var status = 0
        var contentType = ""
        var body = ""

        /// `name{labels}` → value, for each sample line.
        var samples: [String: Double] {
            var samples: [String: Double] = [:]
            for line in body.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
                samples[String(line[..<space])] = value
            }
            return samples
        }
    }

    static func scrape(port: Int) async throws -> Response {
        try await fetch(port: port, "GET /metrics HTTP/1.1")
    }

    /// Sends one request line with `Connection: close` and reads until the server
    /// closes. Status 0: the server closed without an HTTP answer.
    static func fetch(port: Int, _ requestLine: String) async throws -> Response {
        let collector = ResponseCollector()
        let channel = try await ClientBootstrap(group: ServerHarness.clientGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let request = "\(requestLine)\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        try await channel.closeFuture.get()
        let text = collector.text
        var response = Response()
        guard let split = text.range(of: "\r\n\r\n") else { return response }
        let head = text[..<split.lowerBound].split(separator: "\r\n")
        response.status = head.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        for line in head.dropFirst() where line.lowercased().hasPrefix("content-type:") {
            response.contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
        }
        response.body = String(text[split.upperBound...])
        return response
    }

    static func eventually(
        file: StaticString = #filePath,
        line: UInt = #line,
        _ condition: () async throws -> Bool
    ) async throws {
        for _ in 0..<100 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTFail("condition not met within 5 s", file: file, line: line)
    }
}

private final class ResponseCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let received = NIOLockedValueBox(ByteBuffer())

    var text: String { received.withLockedValue { String(buffer: $0) } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.withLockedValue { $0.writeBuffer(&bytes) }
    }
}
