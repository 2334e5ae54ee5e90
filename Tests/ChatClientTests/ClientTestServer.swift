import ChatTestSupport
import XCTest

extension XCTestCase {
    /// The live test server, stopped when this test ends, without the line throttle:
    /// scripts send bursts, and the throttle is the server's business, tested there.
    /// - Parameter port: 0 for any free port.
    func startServer(port: Int = 0) async throws -> ServerHarness {
        try await ServerHarness.start(for: self) { configuration in
            configuration.port = port
            configuration.linesPerSecond = 0
        }
    }
}
