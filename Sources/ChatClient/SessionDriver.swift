import ChatCrypto
import ChatProtocol

/// Carries out a `ClientSession`'s outputs: lines to the server (one flush per
/// batch), notices to the screen, and the bookkeeping both runners share: the
/// last-seen id saved (``LastSeenFile``), and the connection swapped on reconnect.
final class SessionDriver {
    let session: ClientSession
    private(set) var connection: ChatConnection
    let identityFile: IdentityKeyFile
    /// Where the last-seen id is saved; nil when the server could not be identified.
    let lastSeenFile: LastSeenFile?
    /// The password that logged in (or that `/passwd` set since), in memory only, to
    /// log in again after a reconnect.
    private(set) var password: String
    /// Asks for a `.deadline(saveSeenDeadline)` after the given pause; set by the
    /// runner.
    var scheduleSave: (Duration) -> Void = { _ in }
    static let saveSeenDeadline = "save-seen"
    /// The last-seen id is written at most this often (each write is an fsync'd
    /// replace); a crash loses at most this much, shown once more at the next start.
    static let saveInterval: Duration = .seconds(1)
    private var savedLastSeen: Int64?
    private var lastSave: ContinuousClock.Instant?
    private var saveScheduled = false
    /// Where notices go; set by the runner.
    var show: (Notice) -> Void = { _ in }
    /// What `/passwd` typed alone does. A script has no terminal to ask on and its
    /// lines are not secret prompts, so by default it is refused with a remark;
    /// the interactive runner asks at echo-off prompts instead.
    lazy var askForPasswords: () -> Void = { [unowned self] in
        self.show(.warning(Self.scriptPasswdRemark))
    }

    static let scriptPasswdRemark =
        #"/passwd alone asks for the passwords on a terminal; in a script give both on the line: /passwd "<old>" "<new>" (\" for a quote, \\ for a backslash); nothing sent"#
    /// Whether the first login turned stamps on (and so catch-up).
    private let stamps: Bool
    private(set) var quitSent = false
    /// The text of the server's `BYE` on this connection, if it sent one.
    private(set) var farewell: String?
    var sawBye: Bool { farewell != nil }
    private var passedBarriers: Set<String> = []

    init(
        session: ClientSession, connection: ChatConnection, identityFile: IdentityKeyFile, lastSeenFile: LastSeenFile? = nil,
        password: String = "",
        stamps: Bool = false
    ) {
        self.stamps = stamps
        self.session = session
        self.connection = connection
        self.identityFile = identityFile
        self.lastSeenFile = lastSeenFile
        self.password = password
        self.savedLastSeen = session.seen.lastSeen
    }

    /// What the session sends once logged in: its key check and the catch-up.
    func begin() {
        perform(session.start() + session.loggedIn(stamps: stamps))
    }

    func perform(_ outputs: [ClientSession.Output]) {
        var lines: [String] = []
        for output in outputs {
            switch output {
            case .send(let line):
                lines.append(line)
            case .show(let notice):
                show(notice)
            case .barrierPassed(let token):
                passedBarriers.insert(token)
            case .quit:
                quitSent = true
            case .passwordChanged(let password):
                self.password = password
                reseal(under: password)
            case .refused:
                break
            case .askForPasswords:
                askForPasswords()
            }
        }
        connection.send(lines)
    }

    func serverLine(_ text: String) {
        guard let event = ServerEvent.parse(text) else {
            show(.unrecognizedServerLine(text))
            return
        }
        if case .bye(let text) = event { farewell = text }
        perform(session.serverEvent(event))
        saveSeenWhenDue()
    }

    // MARK: The last-seen id

    /// Saves the last-seen id if it moved, now or (when the last save was less than
    /// ``saveInterval`` ago) at a deadline.
    private func saveSeenWhenDue() {
        guard session.seen.lastSeen != savedLastSeen, !saveScheduled else { return }
        if let lastSave, ContinuousClock.now - lastSave < Self.saveInterval {
            saveScheduled = true
            scheduleSave(Self.saveInterval - (ContinuousClock.now - lastSave))
            return
        }
        saveSeen()
    }

    /// Writes the last-seen id if it moved: at the deadline, on a drop, at exit.
    func saveSeen() {
        saveScheduled = false
        guard let lastSeenFile, let id = session.seen.lastSeen, id != savedLastSeen else { return }
        do {
            try lastSeenFile.save(id)
            savedLastSeen = id
        } catch {
            show(.warning("cannot save where the next catch-up starts (\(error)); what was shown may be shown again next time"))
            savedLastSeen = id  // said once, not at every line
        }
        lastSave = .now
    }

    // MARK: Reconnecting

    /// The connection dropped without `/quit`.
    func connectionLost() {
        perform(session.connectionLost())
        saveSeen()
    }

    /// Logged in again on `connection`.
    func reconnected(_ connection: ChatConnection, stamps: Bool) {
        self.connection = connection
        farewell = nil
        quitSent = false
        perform(session.reconnected(stamps: stamps))
    }

    func takeBarrier(_ token: String) -> Bool {
        passedBarriers.remove(token) != nil
    }

    /// Sends `/quit` now, ahead of anything held.
    func quit() {
        guard !quitSent else { return }
        quitSent = true
        connection.send([ClientCommand.quit(message: nil).rendered])
    }

    private func reseal(under password: String) {
        guard let identity = session.identity else { return }
        do {
            try identityFile.save(identity, password: password)
            show(.note("your key file is now sealed under the new password"))
        } catch {
            show(.warning("the password changed but the key file could not be sealed again (\(error)); it still opens with the old password"))
        }
    }
}
