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
            case .success(.verified(let login, let prefetch)):
                services.throttle.recordSuccess(address: peerAddress, account: name)
                services.metrics?.logins.increment()
                log(.info, isClosing ? "login succeeded after the connection closed" : "login succeeded", ["user": "\(login.user)"])
                loginVerified(login, prefetch: prefetch)
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

    /// Enters the hub in the account's rooms, telling no one, then delivers the
    /// direct messages that waited for the account. Lines that arrive meanwhile wait
    /// (an operation is under way), so none finds the session half in.
    ///
    /// The login's look-up of the account read the rooms and whether messages wait
    /// (`prefetch`): most logins then enter without another trip to the store. Without
    /// it, or when the hub says the read may be out of date, the rooms are read now.
    func enterHub(_ login: VerifiedLogin, prefetch: LoginPrefetch?) {
        guard let eventLoop, !isClosing else { return }
        if let prefetch {
            let handle = SessionHandle(id: id, login: login, handler: self, eventLoop: eventLoop)
            switch registered(handle, prefetched: prefetch) {
            case .registered(let takeOfflineQueue):
                welcome(login, takingOfflineQueue: takeOfflineQueue, on: eventLoop)
                return
            case .refused(let change):
                refuse(login, change)
                return
            case .roomsOutdated:
                break
            }
        }
        beginOperation()
        let conversations = services.conversations
        conversations.rooms(of: login.credential.account, on: eventLoop).assumeIsolated().whenComplete { [self] result in
            defer { endOperation() }
            guard !isClosing else { return }
            guard case .success(let rooms) = result else {
                log(.error, "memberships not read", ["user": "\(login.user)"])
                perform(.farewell([.error(.busy, "server busy, try again shortly"), .bye("server busy")]))
                return
            }
            let handle = SessionHandle(id: id, login: login, handler: self, eventLoop: eventLoop)
            if let change = registered(handle, rooms: rooms) {
                refuse(login, change)
                return
            }
            welcome(login, takingOfflineQueue: true, on: eventLoop)
        }
    }

    /// Locked, deleted or given a new password while the password was checked.
    private func refuse(_ login: VerifiedLogin, _ change: AccountStatus) {
        log(.notice, "login refused: account changed during the password check", ["user": "\(login.user)"])
        credentialsChanged(change)
    }

    /// In the hub: `OK login`, then the direct messages that waited, if any may have.
    private func welcome(_ login: VerifiedLogin, takingOfflineQueue: Bool, on eventLoop: EventLoop) {
        let joined = services.router.rooms(of: login.credential.account)
        makeCurrent(joined.first { $0 == .lobby } ?? joined.first)
        send(.ok(command: "login", details: login.user.display))
        if takingOfflineQueue {
            deliverOffline(for: login, on: eventLoop)
        }
    }

    /// The direct messages queued while the account was offline, oldest first, as
    /// live ones look (with stamps for a client that asked).
    private func deliverOffline(for login: VerifiedLogin, on eventLoop: EventLoop) {
        beginOperation()
        services.conversations.takeOffline(for: login.credential.account, on: eventLoop).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let messages):
                for (line, stamp) in messages {
                    send(line, stamp: stamp)
                }
            case .failure(let error):
                // Still queued: the next login tries again.
                log(.error, "offline messages not read", ["error": "\(error)"])
            }
            endOperation()
        }
    }
}
