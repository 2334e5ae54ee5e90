import ChatModel
import ChatProtocol
import ChatStore
import Foundation
import NIOCore

/// End-to-end direct messages: the server publishes public keys and relays sealed
/// payloads it cannot open. It checks only their shape and size.
extension SessionHandler {
    func publishKey(_ text: String, for login: VerifiedLogin) {
        guard let key = Data(base64Encoded: text), key.count == ProtocolLimits.publicKeyLength,
            let eventLoop = currentEventLoop
        else {
            send(.error(.badArguments, "a public key is 32 bytes of standard base64"))
            return
        }
        beginOperation()
        directory.publishKey(Array(key), for: login.credential, on: eventLoop).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(nil):
                logInfo("public key published")
                send(.ok(command: "key", details: nil))
            case .success(let status?):
                // Locked, deleted, re-created or re-keyed since this session logged in:
                // it no longer speaks for the account, and must not publish its key.
                logNotice("public key refused: the account changed since login")
                endSession(status)
            case .failure(let error):
                logError("public key not stored", error)
                send(.error(.busy, "key not stored, try again later"))
            }
            endOperation()
        }
    }

    func lookUpKey(of name: String) {
        guard let target = UserName(name) else {
            send(.error(.noSuchUser, "no such user"))
            return
        }
        guard let eventLoop = currentEventLoop else { return }
        beginOperation()
        directory.publicKey(of: target, on: eventLoop).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(.found(let user, let key)):
                send(.key(user: user.display, key: Data(key).base64EncodedString()))
            case .success(.noKey(let user)):
                send(.error(.noKey, "\(user.display) has published no key"))
            case .success(.noSuchUser):
                send(.error(.noSuchUser, "no such user"))
            case .failure(let error):
                logError("key lookup failed", error)
                send(.error(.busy, "server busy, try again shortly"))
            }
            endOperation()
        }
    }

    func relayEncrypted(_ payload: String, to recipient: String, from sender: UserName) {
        guard payload.utf8.count <= ProtocolLimits.maxEncryptedPayloadLength,
            let bytes = Data(base64Encoded: payload), bytes.count >= ProtocolLimits.minEncryptedPayloadBytes
        else {
            send(.error(.badArguments, "payload must be base64 of nonce and ciphertext, at most \(ProtocolLimits.maxEncryptedPayloadLength) characters"))
            return
        }
        deliverDirect(.encryptedDirect(sender: sender.display, payload: payload), to: recipient, command: "emsg")
    }
}
