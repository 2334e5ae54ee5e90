import ChatCrypto
import Foundation

/// This machine's end-to-end key pair for one account, in a 0600 file under the
/// config directory, its secret half sealed under the account password
/// (`SecretKeyFile`: Argon2id, then XSalsa20-Poly1305).
///
/// Why the account password: a copy of the file alone (a backup, a synced home
/// directory, a stolen disk) does not give away the key, yet nobody has a second
/// passphrase to remember, and the client holds the password anyway at login. The
/// Argon2id cost is libsodium's INTERACTIVE (64 MiB, ~0.1 s per start): the same
/// password already sits on the server behind an Argon2id hash of that cost, so a
/// higher cost here would slow every start without raising the bar for whoever
/// holds that hash. When the password changes through this client the file is
/// sealed again under the new one.
public struct IdentityKeyFile: Sendable {
    public let url: URL
    public let cost: PasswordCost

    public init(url: URL, cost: PasswordCost = .interactive) {
        self.url = url
        self.cost = cost
    }

    public enum Loaded: Sendable {
        case absent
        case unlocked(BoxKeyPair)
        /// The file exists but the password does not open it (it was sealed under an
        /// earlier password, or changed); `publicKey` is the key it holds.
        case locked(publicKey: BoxPublicKey?)
    }

    public func load(password: String) throws -> Loaded {
        guard let text = try PrivateFile.read(url) else { return .absent }
        do {
            return .unlocked(try SecretKeyFile.open(text, password: password))
        } catch .wrongPassword {
            return .locked(publicKey: try? SecretKeyFile.publicKey(in: text))
        } catch {
            throw PrivateFile.Failure(description: "\(url.path) is damaged (\(error)); move it away to start over with a new key")
        }
    }

    public func save(_ keyPair: BoxKeyPair, password: String) throws {
        let text: String
        do {
            text = try SecretKeyFile.seal(keyPair, password: password, cost: cost)
        } catch {
            throw PrivateFile.Failure(description: "cannot seal the key file: \(error)")
        }
        try PrivateFile.write(text, to: url)
    }
}
