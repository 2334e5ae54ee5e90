import ChatCrypto
import ChatModel
import ChatStore
import Foundation
import Logging
import NIOPosix

@testable import ChatServer
import ChatTestSupport

/// Verified logins for tests, made the only way there is: a real password check by a
/// real `Authenticator` against a real SQLite file (Argon2id at its lowest cost).
struct TestLogins {
    let alice: VerifiedLogin
    /// alice after a password change: the same account, the next generation.
    let aliceRenewed: VerifiedLogin
    let bob: VerifiedLogin

    static func make() async throws -> TestLogins {
        let folder = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("users.db").path)
        defer { try? store.close() }
        let hasher = PasswordHasher(cost: .minimum)
        for (name, password) in [("alice", "alice password"), ("bob", "bob-pw")] {
            try store.addUser(UserName(name)!, passwordHash: try hasher.hash(password))
        }
        let authenticator = try Authenticator(accounts: store, hasher: hasher, threads: 1, maxQueued: 4, logger: Logger(label: "test-logins"))
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        func verified(_ name: String, _ password: String) async throws -> VerifiedLogin {
            guard case .verified(let login, _) = try await authenticator.verifyLogin(name: name, password: password, on: loop).get() else {
                throw TestLoginError(description: "\(name) did not log in")
            }
            return login
        }
        let alice = try await verified("alice", "alice password")
        let bob = try await verified("bob", "bob-pw")
        guard case .changed(let renewed) = try await authenticator.changePassword(alice, old: "alice password", new: "new", on: loop).get() else {
            throw TestLoginError(description: "alice's password did not change")
        }
        await authenticator.shutdown()
        return TestLogins(alice: alice, aliceRenewed: renewed, bob: bob)
    }
}

struct TestLoginError: Error, CustomStringConvertible {
    let description: String
}
