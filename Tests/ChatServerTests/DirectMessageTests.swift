import ChatTestSupport
import XCTest

final class DirectMessageTests: XCTestCase {
    func testDirectMessageReachesEverySessionOfTheUser() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        let bobPhone = try await harness.login("bob")
        let bobLaptop = try await harness.login("bob")
        // Logging in changes no membership: nobody is told.
        try await expectNothingPending(alice)
        try await expectNothingPending(bobPhone)

        try await alice.send("/msg BOB psst, only for you")
        try await expect(alice, "OK msg bob")
        try await expect(bobPhone, "DM alice psst, only for you")
        try await expect(bobLaptop, "DM alice psst, only for you")
        // Only bob: the room saw nothing.
        let carol = try await harness.login("carol")
        try await expectNothingPending(carol)
        for client in [alice, bobPhone, bobLaptop, carol] { await client.close() }
    }

    func testUnknownRecipientsAndBadArguments() async throws {
        let harness = try await ServerHarness.start(for: self)
        let alice = try await harness.login("alice")
        try await alice.send("/msg nobody hello")
        try await expect(alice, "ERR no-such-user no such user")
        try await alice.send("/msg bad:name hello")
        try await expect(alice, "ERR no-such-user no such user")
        try await alice.send("/msg carol")
        try await expect(alice, prefix: "ERR bad-arguments ")
        await alice.close()
    }
}
