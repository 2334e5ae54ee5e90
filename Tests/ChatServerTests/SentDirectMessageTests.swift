import ChatTestSupport
import XCTest

/// `DMSENT`/`EDMSENT`: a second device of the sender sees what the first one sent,
/// if it asked for ids; nobody else does.
final class SentDirectMessageTests: XCTestCase {
    func testTheSendersOtherSessionsWithIDsSeeWhatItSent() async throws {
        let harness = try await ServerHarness.start(for: self)
        let phone = try await harness.loginWithIDs("alice")
        let laptop = try await harness.loginWithIDs("alice")
        let oldClient = try await harness.login("alice")
        let bob = try await harness.loginWithIDs("bob")

        try await phone.send("/msg bob lunch?")
        let id = try await expectStamped(phone, "OK msg bob")
        let seen = try await expectStamped(laptop, "DMSENT bob lunch?")
        XCTAssertEqual(seen, id)
        let received = try await expectStamped(bob, "DM alice lunch?")
        XCTAssertEqual(received, id)

        try await laptop.send("/emsg bob \(sealedPayload)")
        let sealed = try await expectStamped(laptop, "OK emsg bob")
        let sealedSeen = try await expectStamped(phone, "EDMSENT bob \(sealedPayload)")
        XCTAssertEqual(sealedSeen, sealed)
        try await expectStamped(bob, "EDM alice \(sealedPayload)")

        // To someone offline: stored and queued, and still shown on the other device.
        try await phone.send("/msg carol see you")
        let queued = try await expectStamped(phone, "OK msg carol")
        let queuedSeen = try await expectStamped(laptop, "DMSENT carol see you")
        XCTAssertEqual(queuedSeen, queued)

        // A note to oneself arrives as the DM itself, not also as sent.
        try await phone.send("/msg alice remember the milk")
        // The DM and the acknowledgement travel separately: either may come first.
        var own: [String] = []
        for _ in 0..<2 {
            own.append(StampedLine(try await phone.nextLine() ?? "")?.line ?? "unstamped")
        }
        XCTAssertEqual(own.sorted(), ["DM alice remember the milk", "OK msg alice"])
        try await expectStamped(laptop, "DM alice remember the milk")
        try await expect(oldClient, "DM alice remember the milk")

        // The session that did not ask for ids sees none of the sent lines.
        for client in [phone, laptop, oldClient, bob] {
            try await expectNothingPending(client)
            await client.close()
        }
    }
}
