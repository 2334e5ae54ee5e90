import ChatProtocol
import ChatStore
import NIOCore

/// Logging in: the penalty wait, the password check, and entering the hub.
extension SessionHandler {
    func verifyLogin(name: String, password: String) {
        guard let eventLoop else { return }
        beginOperation()
        let penalty = services.throttle.delay(address: peerAddress, account: name)
        let verified: EventLoopFuture<Authenticator.LoginOutcome>
        if penalty > .zero {
            services.metrics?.penalties.increment()
            log(.debug, "login delayed by recent failures", ["delayMs": "\(penalty.nanoseconds / 1_000_000)"])
            let session = NIOLoopBound(self, eventLoop: eventLoop)
            verified =
                eventLoop.flatScheduleTask(in: penalty) { [passwords = services.passwords] in
                    // Gone while it waited: spend no hashing on it.
                    guard !session.value.isClosing else { return eventLoop.makeSucceededFuture(.busy) }
                    return passwords.verifyLogin(name: name, password: password, on: eventLoop)
                }.futureResult
        } else {
            verified = services.passwords.verifyLogin(name: name, password: password, on: eventLoop)
        }
        verified.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(.verified(let login)):
                services.throttle.recordSuccess(address: peerAddress, account: name)
                services.metrics?.logins.increment()
                log(.info, isClosing ? "login succeeded after the connection closed" : "login succeeded", ["user": "\(login.user)"])
                apply { $0.loginVerified(login) }
            case .success(.rejected(let reason)):
                // Counted even if the peer has gone: hanging up does not buy a free guess.
                services.throttle.recordFailure(address: peerAddress, account: name)
                services.metrics?.loginFailures.counter(forReason: reason)?.increment()
                // One line per failure, with peer and name, for fail2ban and friends.
                log(.notice, "login failed", ["user": "\(Self.loggable(name))", "reason": "\(reason)"])
                apply { $0.loginRejected() }
            case .success(.busy):
                if !isClosing {
                    log(.warning, "login refused: password checks saturated", ["user": "\(Self.loggable(name))"])
                }
                apply { $0.loginBusy() }
            case .failure(let error):
                log(.error, "login check failed", ["user": "\(Self.loggable(name))", "error": "\(error)"])
                apply { $0.loginBusy() }
            }
            endOperation()
        }
    }

    func enterHub(_ login: VerifiedLogin) {
        guard let eventLoop, !isClosing else { return }
        let handle = SessionHandle(id: id, login: login, handler: self, eventLoop: eventLoop)
        if let change = registered(handle) {
            // Locked, deleted or given a new password while the password was checked.
            log(.notice, "login refused: account changed during the password check", ["user": "\(login.user)"])
            credentialsChanged(change)
            return
        }
        let lobby = services.router.join(.lobby, handle)
        updateMembership { $0.join(lobby) }
        send(.ok(command: "login", details: login.user.display))
    }
}
