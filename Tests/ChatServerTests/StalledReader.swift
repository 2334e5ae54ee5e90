import ChatTestSupport

extension ServerHarness {
    /// `carol`, logged in over a connection with a small receive buffer (so the kernel
    /// cannot hide a stall for long), who then stops reading.
    func loginStalledReader() async throws -> TestLineClient {
        let client = try await TestLineClient.connect(
            port: port,
            context: clientContext,
            group: ServerHarness.clientGroup,
            receiveBufferSize: 4096
        )
        _ = try await client.nextLine()
        try await client.send("/login carol carol-pw")
        try await expect(client, "OK login carol")
        try await client.stopReading()
        return client
    }
}
