import ChatServer
import ChatTestSupport
import Dispatch
import NIOCore
import NIOPosix
import XCTest

/// Quiescing asks every session to finish; the grace period bounds how long stopping
/// waits for peers that never do.
final class ShutdownGracePeriodTests: XCTestCase {
    func testAPeerThatNeverAnswersIsClosedWhenTheGracePeriodEnds() async throws {
        let harness = try await ServerHarness.start(for: self) { $0.shutdownGracePeriod = .milliseconds(100) }
        // The peer's own event loop, so the test can freeze it.
        let peerLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let peer = try await TestLineClient.connect(port: harness.port, context: harness.clientContext, group: peerLoop)
        _ = try await peer.nextLine()  // HELLO

        // Frozen, the peer never reads the BYE and close_notify, so it never answers
        // them: without the grace period the server would wait out its TLS close
        // timeout (3 s).
        let thaw = DispatchSemaphore(value: 0)
        peerLoop.next().execute { thaw.wait() }
        let start = ContinuousClock.now
        await harness.server.stop()
        let elapsed = ContinuousClock.now - start
        thaw.signal()

        XCTAssertLessThan(elapsed, .milliseconds(2_000), "stopping waited past the grace period")
        XCTAssertTrue(harness.logs.joined.contains("all connections closed"), harness.logs.joined)
        await peer.close()
        try await peerLoop.shutdownGracefully()
    }
}
