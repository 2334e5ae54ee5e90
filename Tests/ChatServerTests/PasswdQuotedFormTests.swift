import ChatTestSupport
import XCTest

/// `/passwd "<old>" "<new>"` over a raw TLS line connection, as a person types it
/// into `openssl s_client`: any password, spaces and all, can be changed.
final class PasswdQuotedFormTests: XCTestCase {
    static let spaced = "correct horse battery staple"

    func testTheQuotedFormChangesAPasswordWithSpacesQuotesAndBackslashes() async throws {
        let harness = try await ServerHarness.start(for: self, users: [("alice", Self.spaced)])
        let alice = try await harness.login("alice", Self.spaced)
        // Both forms mark what the new password is: the quotes, \" and \\ are not part of it.
        try await alice.send(#"/passwd "correct horse battery staple" "  say \"hi\" \\ twice  ""#)
        try await expect(alice, "OK passwd")
        try await alice.send(#"/passwd "  say \"hi\" \\ twice  " "back to \"plain\"""#)
        try await expect(alice, "OK passwd")
        await alice.close()

        let client = try await harness.connect()
        try await client.send("/login alice \(Self.spaced)")
        try await expect(client, prefix: "ERR auth-failed ")
        try await client.send(#"/login alice back to "plain""#)
        try await expect(client, "OK login alice")
        await client.close()
    }

    /// A malformed quoted form is a usage error with the grammar, not a wrong
    /// password: nothing is checked, nothing counts towards the three tries.
    func testAMalformedQuotedFormIsAUsageErrorThatCostsNoTry() async throws {
        let harness = try await ServerHarness.start(for: self, users: [("alice", Self.spaced)])
        let alice = try await harness.login("alice", Self.spaced)
        for line in [
            #"/passwd "correct horse battery staple"#,
            #"/passwd "correct horse battery staple" new"#,
            #"/passwd "correct horse battery staple" "new" extra"#,
            #"/passwd "correct horse \battery staple" "new""#,
        ] {
            try await alice.send(line)
            try await expect(alice, #"ERR bad-arguments usage: /passwd "<old>" "<new>" | /passwd <old> <new>"#)
        }
        // Still logged in, no penalty on record, and the password unchanged.
        try await expectNothingPending(alice)
        try await alice.send(#"/passwd "correct horse battery staple" "next one""#)
        try await expect(alice, "OK passwd")
        await alice.close()
        XCTAssertFalse(harness.logs.joined.contains("login delayed by recent failures"), harness.logs.joined)
    }

    /// The legacy form, a one-word old password and the rest of the line, is as before.
    func testTheLegacyFormStillWorks() async throws {
        let harness = try await ServerHarness.start(for: self)
        let bob = try await harness.login("bob")
        try await bob.send("/passwd bob-pw new secret with spaces")
        try await expect(bob, "OK passwd")
        await bob.close()
    }
}
