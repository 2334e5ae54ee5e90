import ChatCrypto
import ChatModel
import ChatStore
import ChatTestSupport
import Foundation
import NIOConcurrencyHelpers
import XCTest

extension DurabilityTests {
    /// A direct message a sender sent, and whether the server acknowledged it.
    private struct SentDM: Hashable {
        let sender: String
        let recipient: String
        let text: String
    }

    /// `kill -9` while six senders pipeline direct messages (to accounts that are
    /// offline, and to one that is online) and room messages; then a restart on the
    /// same file. Every DM the server answered `OK msg` is stored, in the order sent,
    /// and the offline ones reach their recipients at the next login; every room message
    /// and DM anyone was shown is stored too (stored first, fanned out after).
    func testKillDashNineDuringAMessageStormLosesNothingAcknowledgedOrShown() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let directory = try makeTemporaryDirectory()
        let database = directory.appendingPathComponent("chat.db").path
        let senders = (0..<6).map { "sender\($0)" }
        let away = (0..<4).map { "away\($0)" }
        do {
            let store = try SQLiteStore(path: database)
            let hash = try PasswordHasher(cost: .minimum).hash("pw")
            for name in senders + away + ["listener"] {
                try store.addUser(UserName(name)!, passwordHash: hash)
            }
            try store.close()
        }
        let arguments = [
            "--cert", certificates.chainPath, "--key", certificates.keyPath, "--db", database, "--port", "0",
            "--allow-ephemeral-port", "--password-cost", "minimum", "--max-connections-per-ip", "100", "--lines-per-second", "0",
        ]
        // Room for every DM the storm sends to the four offline accounts.
        let environment = ["SECURECHAT_MESSAGES_OFFLINE_QUEUE_LIMIT": "10000"]
        let server = try await ServerProcess.start(arguments, environment: environment)
        let context = try TLSContextFactory.client(certificates)
        func login(_ name: String, port: Int) async throws -> TestLineClient {
            let client = try await TestLineClient.connect(port: port, context: context, group: ServerHarness.clientGroup)
            _ = try await client.nextLine()
            try await client.send("/login \(name) pw")
            try await expect(client, "OK login \(name)")
            return client
        }

        let listener = try await login("listener", port: server.port)
        let shownToListener = Task {
            var lines: [String] = []
            while let line = try? await listener.nextLine(timeout: .seconds(60)) {
                lines.append(line)
            }
            return lines
        }
        let acknowledgedCount = NIOLockedValueBox(0)
        let storm = senders.map { name in
            Task { () -> (acknowledged: [SentDM], refused: [String]) in
                var acknowledged: [SentDM] = []
                var refused: [String] = []
                guard let client = try? await login(name, port: server.port) else { return ([], ["\(name) could not log in"]) }
                var pending: [SentDM] = []
                var sequence = 0
                while true {
                    // Eight rounds in flight: a DM to an offline account, one to the
                    // listener and a room message each. A session's commands are
                    // answered in order, so the replies match `pending` front to back.
                    for _ in 0..<8 {
                        let text = "\(name)-\(sequence)"
                        let round = [
                            SentDM(sender: name, recipient: away[sequence % away.count], text: text),
                            SentDM(sender: name, recipient: "listener", text: text),
                        ]
                        sequence += 1
                        do {
                            for dm in round { try await client.send("/msg \(dm.recipient) \(dm.text)") }
                            try await client.send(text)
                        } catch {
                            return (acknowledged, refused)
                        }
                        pending += round
                    }
                    while let first = pending.first {
                        guard let line = try? await client.nextLine(timeout: .seconds(60)) else { return (acknowledged, refused) }
                        if line == "OK msg \(first.recipient)" {
                            acknowledged.append(pending.removeFirst())
                            acknowledgedCount.withLockedValue { $0 += 1 }
                        } else if line.hasPrefix("OK ") || line.hasPrefix("ERR ") {
                            refused.append("\(first.text) to \(first.recipient): \(line)")
                            pending.removeFirst()
                        }
                        // Anything else is the others' room messages.
                    }
                }
            }
        }

        // Mid-storm: the server dies with batches in flight.
        let deadline = ContinuousClock.now + .seconds(60)
        while acknowledgedCount.withLockedValue({ $0 }) < 600, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        server.crash()
        var acknowledged: [SentDM] = []
        for sender in storm {
            let (mine, refused) = await sender.value
            XCTAssertEqual(refused, [], "nothing is refused in a healthy storm")
            acknowledged += mine
        }
        let shown = await shownToListener.value
        XCTAssertGreaterThanOrEqual(acknowledged.count, 600)

        // The file as the crash left it: everything acknowledged or shown is there.
        let store = try SQLiteStore(path: database)
        var accounts: [String: AccountID] = [:]
        for name in senders + away + ["listener"] {
            accounts[name] = try XCTUnwrap(try store.user(named: UserName(name)!)).credential.account
        }
        func stored(_ conversation: ConversationID) async throws -> [StoredEvent] {
            var events: [StoredEvent] = []
            var cursor = EventID.start
            while true {
                let page = try await store.events(after: cursor, in: [conversation], limit: maxPageSize)
                events += page.events
                guard page.more, let last = page.events.last else { return events }
                cursor = last.id
            }
        }
        for sender in senders {
            for recipient in away + ["listener"] {
                let conversation = ConversationID.direct(accounts[sender]!, accounts[recipient]!)
                let texts = try await stored(conversation).compactMap(\.text)
                let sent = acknowledged.filter { $0.sender == sender && $0.recipient == recipient }.map(\.text)
                // In the order sent, none missing.
                XCTAssertEqual(texts.filter(Set(sent).contains), sent, "\(sender) to \(recipient)")
            }
        }
        let lobby = try await stored(.room(.lobby))
        let lobbyLines = Set(lobby.map { "MSG #lobby \($0.senderName.display) \($0.text ?? "")" })
        let shownRoomMessages = shown.filter { $0.hasPrefix("MSG #lobby ") }
        XCTAssertFalse(shownRoomMessages.isEmpty)
        XCTAssertEqual(shownRoomMessages.filter { !lobbyLines.contains($0) }, [], "shown but not stored")
        var directLines: Set<String> = []
        for sender in senders {
            for event in try await stored(.direct(accounts[sender]!, accounts["listener"]!)) {
                directLines.insert("DM \(sender) \(event.text ?? "")")
            }
        }
        let shownDirect = shown.filter { $0.hasPrefix("DM ") }
        XCTAssertFalse(shownDirect.isEmpty)
        XCTAssertEqual(shownDirect.filter { !directLines.contains($0) }, [], "shown but not stored")
        try store.close()

        // Restarted on the same file: the offline accounts get their DMs, and /history
        // is the log's.
        let restarted = try await ServerProcess.start(arguments, environment: environment)
        for name in away {
            let client = try await login(name, port: restarted.port)
            try await client.send("/ping delivered")
            var delivered: [String] = []
            while let line = try await client.nextLine(), line != "PONG delivered" {
                delivered.append(line)
            }
            for sender in senders {
                let sent = acknowledged.filter { $0.sender == sender && $0.recipient == name }.map { "DM \(sender) \($0.text)" }
                XCTAssertEqual(delivered.filter(Set(sent).contains), sent, "\(sender) to \(name)")
            }
            await client.close()
        }
        let reader = try await login("listener", port: restarted.port)
        let expected = lobby.suffix(1000).map { "\($0.senderName.display) \($0.text ?? "")" }
        try await XCTAssertEqualAsync(try await history(of: "#lobby", for: reader), Array(expected))
        await reader.close()
        XCTAssertEqual(restarted.stop(), 0)
        try? FileManager.default.removeItem(at: directory)
    }
}
