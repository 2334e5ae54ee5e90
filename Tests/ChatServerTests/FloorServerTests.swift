import ChatTLS
import ChatTestSupport
import XCTest

/// `securechat-bench floor-server`, the SwiftNIO floor that `Scripts/bench-peers
/// --floor` measures beside securechat: it must do the work the load generator counts
/// (HELLO, OK per command, every room line to every other member), or its figures
/// would flatter the stack.
final class FloorServerTests: XCTestCase {
    func testGreetsAnswersAndRelaysRoomLinesToTheOtherMembers() async throws {
        let certificates = try TestCertificates.make()
        let server = try await ServerProcess.start(
            ["floor-server", "--port", "0", "--cert", certificates.chainPath, "--key", certificates.keyPath],
            executable: "securechat-bench"
        )
        let context = try TLSContext.client(trustRootsPath: certificates.caPath)
        var clients: [TestLineClient] = []
        for name in ["ann", "bob", "cy"] {
            let client = try await TestLineClient.connect(port: server.port, context: context, group: ServerHarness.clientGroup)
            try await expect(client, "HELLO floor welcome")
            try await client.send("/login \(name) secret")
            try await expect(client, "OK login")
            if name != "cy" {
                try await client.send("/join #bench")
                try await expect(client, "OK join")
            }
            clients.append(client)
        }

        try await clients[0].send("hello room")
        try await expect(clients[1], "MSG #bench ann hello room")
        // The relay is done before the next line is read: a /ping answered first shows
        // that neither the sender nor cy, who never joined, was sent the line.
        for client in [clients[0], clients[2]] {
            try await client.send("/ping")
            try await expect(client, "OK ping")
        }

        for client in clients { await client.close() }
        _ = server.stop()
    }

    /// With `--argon2id` (the login floor for a server that must check a password
    /// hash), a wrong password is refused and the right one accepted.
    func testChecksPasswordsWhenAsked() async throws {
        let certificates = try TestCertificates.make()
        let server = try await ServerProcess.start(
            ["floor-server", "--port", "0", "--cert", certificates.chainPath, "--key", certificates.keyPath, "--argon2id"],
            executable: "securechat-bench"
        )
        let context = try TLSContext.client(trustRootsPath: certificates.caPath)
        for (password, answer) in [("wrong", "ERR login"), ("benchpass", "OK login")] {
            let client = try await TestLineClient.connect(port: server.port, context: context, group: ServerHarness.clientGroup)
            try await expect(client, "HELLO floor welcome")
            try await client.send("/login ann \(password)")
            try await expect(client, answer)
            await client.close()
        }
        _ = server.stop()
    }
}
