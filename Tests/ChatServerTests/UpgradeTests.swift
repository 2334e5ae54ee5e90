import ChatCrypto
import ChatTestSupport
import Foundation
import GRDB
import XCTest

@testable import ChatStore

/// The real server started on a database made by the release before durable
/// conversations (schema up to "v3-account-generations"), as an operator upgrading
/// would: accounts and keys kept, every account in `#lobby`, messages stored.
final class UpgradeTests: XCTestCase {
    func testTheServerTakesOverADatabaseFromTheReleaseBeforeConversations() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let database = try makeTemporaryDirectory().appendingPathComponent("securechat.db").path
        let key = Data((1...32).map { UInt8($0) })
        let hasher = PasswordHasher(cost: .minimum)
        let queue = try DatabaseQueue(path: database)
        try SQLiteStore.migrator.migrate(queue, upTo: "v3-account-generations")
        try await queue.write { db in
            for (id, name, password) in [(1, "alice", "alice-pw"), (2, "Bob", "bob-pw")] {
                try db.execute(
                    sql: """
                        INSERT INTO user (id, name, name_key, password_hash, locked, generation, created_at, updated_at)
                        VALUES (?, ?, ?, ?, 0, 3, '2026-12-01 10:00:00.000', '2026-12-01 10:00:00.000')
                        """,
                    arguments: [id, name, name.lowercased(), try hasher.hash(password)]
                )
            }
            try db.execute(
                sql: "INSERT INTO dm_key (user_id, public_key, updated_at) VALUES (1, ?, '2026-12-01 10:00:00.000')", arguments: [key])
        }
        try queue.close()
        // The server checks the file is private, as chat-useradd would have left it.
        XCTAssertEqual(chmod(database, 0o600), 0)

        let arguments = [
            "--cert", certificates.chainPath, "--key", certificates.keyPath, "--db", database, "--port", "0",
            "--allow-ephemeral-port", "--password-cost", "minimum",
        ]
        let server = try await ServerProcess.start(arguments)
        let context = try TLSContextFactory.client(certificates)
        func login(_ name: String, _ password: String, shown: String, port: Int) async throws -> TestLineClient {
            let client = try await TestLineClient.connect(port: port, context: context, group: ServerHarness.clientGroup)
            _ = try await client.nextLine()
            try await client.send("/login \(name) \(password)")
            try await expect(client, "OK login \(shown)")
            return client
        }
        let alice = try await login("alice", "alice-pw", shown: "alice", port: server.port)
        let bob = try await login("bob", "bob-pw", shown: "Bob", port: server.port)
        // Both in the lobby, with nobody told: no JOIN at login.
        try await alice.send("/who #lobby")
        try await expect(alice, "USERS #lobby alice Bob")
        try await alice.send("hello after the upgrade")
        try await expect(bob, "MSG #lobby alice hello after the upgrade")
        try await bob.send("/key get alice")
        try await expect(bob, "KEY alice \(key.base64EncodedString())")
        await bob.close()
        // Offline for sure: the server has seen the connection go.
        try await server.waitForLog("user=Bob [ChatServer] connection closed")
        try await alice.send("/msg bob while you were away")
        try await expect(alice, "OK msg Bob")
        await alice.close()
        XCTAssertEqual(server.stop(), 0)

        // Stored, across a restart.
        let restarted = try await ServerProcess.start(arguments)
        let bobAgain = try await login("bob", "bob-pw", shown: "Bob", port: restarted.port)
        try await expect(bobAgain, "DM alice while you were away")
        try await XCTAssertEqualAsync(try await history(of: "#lobby", for: bobAgain), ["alice hello after the upgrade"])
        await bobAgain.close()
        XCTAssertEqual(restarted.stop(), 0)
    }
}
