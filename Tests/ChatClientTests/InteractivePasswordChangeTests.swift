import ChatTestSupport
import Foundation
import XCTest

/// `/passwd` typed alone in the real `securechat` binary on a real terminal (tmux):
/// echo-off prompts on the input row, passwords with spaces, quotes and
/// backslashes, and a login with the new password afterwards.
final class InteractivePasswordChangeTests: XCTestCase {
    static let oldPassword = "correct horse battery staple"
    static let newPassword = #" battery "staple" \ horse "#

    func testASpacedPasswordIsChangedAtEchoOffPromptsAndTheNewOneLogsIn() async throws {
        let tmux = try Tmux.start()
        defer { tmux.kill() }
        let server = try await ServerHarness.start(for: self, users: [("alice", Self.oldPassword), ("bob", "bob-pw")]) {
            $0.linesPerSecond = 0
        }
        let home = try makeTemporaryDirectory()
        let client =
            "env NO_COLOR=1 HOME=\(home.path) TERM=xterm-256color \(try ClientBinary.path()) --port \(server.port) --ca \(server.certificates.caPath) --user alice"
        // The client twice: before and after the change; `clear` and a marker tell the runs apart.
        try tmux.run("cd \(home.path) && \(client); echo EXIT:$?; clear; echo SECOND RUN; \(client); echo EXIT:$?")
        try await tmux.waitForScreen { $0.contains("Password for alice:") }
        tmux.type(Self.oldPassword)
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("[#lobby] >") && $0.contains("made your end-to-end key") }

        // New passwords that differ: a remark, nothing sent.
        tmux.type("/passwd")
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("Current password:") }
        tmux.type(Self.oldPassword)
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("New password:") }
        tmux.type(Self.newPassword)
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("New password again:") }
        tmux.type("something else")
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("!! the new passwords do not match; password not changed, nothing sent") }
        try await tmux.waitForScreen { $0.contains("[#lobby] >") }

        // Matching: changed, and the key file sealed again under the new password.
        tmux.type("/passwd")
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("Current password:") }
        // Incoming lines print above the prompt without showing what is typed.
        let bob = try await server.login("bob")
        try await bob.send("hello while you type")
        try await tmux.waitForScreen { $0.contains("bob: hello while you type") && $0.contains("Current password:") }
        tmux.type(Self.oldPassword)
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("New password:") }
        tmux.type(Self.newPassword)
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("New password again:") }
        tmux.type(Self.newPassword)
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("* password changed") && $0.contains("your key file is now sealed under the new password") }
        let screen = tmux.screen()
        XCTAssertFalse(screen.contains("battery staple"), "a password was echoed:\n\(screen)")
        XCTAssertFalse(screen.contains("\"staple\""), "a password was echoed:\n\(screen)")
        XCTAssertFalse(screen.contains("current password is wrong"), screen)
        // Up brings back no password.
        tmux.press("Up")
        try await tmux.waitForScreen { $0.contains("[#lobby] > /passwd") }
        tmux.press("C-u")

        tmux.press("C-c")
        try await tmux.waitForScreen { $0.contains("SECOND RUN") && $0.contains("Password for alice:") }
        // The old password is gone; the new one logs in and opens the same key.
        tmux.type(Self.newPassword)
        tmux.press("Enter")
        try await tmux.waitForScreen { $0.contains("[#lobby] >") }
        let second = tmux.screen()
        XCTAssertFalse(second.contains("made your end-to-end key"), second)
        XCTAssertFalse(second.contains("does not open"), second)
        XCTAssertFalse(second.contains("published your end-to-end public key"), "the key changed:\n\(second)")
        tmux.press("C-c")
        try await tmux.waitForScreen { $0.contains("EXIT:0") }

        let stale = try await server.connect()
        try await stale.send("/login alice \(Self.oldPassword)")
        try await stale.expectLine { $0.hasPrefix("ERR auth-failed") }
        await stale.close()
        await bob.close()
    }
}
