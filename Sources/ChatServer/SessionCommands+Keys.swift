import ChatModel
import ChatProtocol
import ChatStore
import Foundation
import NIOCore

/// End-to-end direct messages: the server publishes public keys and relays sealed
/// payloads it cannot open. It checks only their shape and size.
extension SessionCommands {
    func publishKey(_ text: String, for login: VerifiedLogin, session: SessionHandler) {
        guard let key = Data(base64Encoded: text), key.count == ProtocolLimits.publicKeyLength,
            let eventLoop = session.eventLoop
        else {
            session.send(.error(.badArguments, "a public key is 32 bytes of standard base64"))
            return
        }
        session.beginOperation()
        accounts.publishKey(Array(key), for: login.credential, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(nil):
                session.log(.info, "public key published")
                session.send(.ok(command: "key", details: nil))
            case .success(let status?):
                // Locked, deleted, re-created or re-keyed since this session logged in:
                // it no longer speaks for the account, and must not publish its key.
                session.log(.notice, "public key refused: the account changed since login")
                session.credentialsChanged(status)
            case .failure(let error):
                session.log(.error, "public key not stored", ["error": "\(error)"])
                session.send(.error(.busy, "key not stored, try again later"))
            }
            session.endOperation()
        }
    }

    func lookUpKey(of name: String, for session: SessionHandler) {
        guard let target = UserName(name) else {
            session.send(.error(.noSuchUser, "no such user"))
            return
        }
        guard let eventLoop = session.eventLoop else { return }
        session.beginOperation()
        accounts.publicKey(of: target, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(.found(let user, let key)):
                session.send(.key(user: user.display, key: Data(key).base64EncodedString()))
            case .success(.noKey(let user)):
                session.send(.error(.noKey, "\(user.display) has published no key"))
            case .success(.noSuchUser):
                session.send(.error(.noSuchUser, "no such user"))
            case .failure(let error):
                session.log(.error, "key lookup failed", ["error": "\(error)"])
                session.send(.error(.busy, "server busy, try again shortly"))
            }
            session.endOperation()
        }
    }

    func relayEncrypted(_ payload: String, to recipient: String, for session: SessionHandler) {
        guard payload.utf8.count <= ProtocolLimits.maxEncryptedPayloadLength,
            let bytes = Data(base64Encoded: payload), bytes.count >= ProtocolLimits.minEncryptedPayloadBytes
        else {
            session.send(
                .error(.badArguments, "payload must be base64 of nonce and ciphertext, at most \(ProtocolLimits.maxEncryptedPayloadLength) characters"))
            return
        }
        deliverDirect(payload, sealed: true, to: recipient, command: "emsg", for: session)
    }
}
