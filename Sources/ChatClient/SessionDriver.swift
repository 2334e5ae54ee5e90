import ChatCrypto
import ChatProtocol

/// Carries out a `ClientSession`'s outputs: lines to the server (one flush per
/// batch), notices to the screen, and the bookkeeping both runners share.
final class SessionDriver {
    let session: ClientSession
    let connection: ChatConnection
    let identityFile: IdentityKeyFile
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
    private(set) var quitSent = false
    private(set) var sawBye = false
    private var passedBarriers: Set<String> = []

    init(session: ClientSession, connection: ChatConnection, identityFile: IdentityKeyFile) {
        self.session = session
        self.connection = connection
        self.identityFile = identityFile
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
        if case .bye = event { sawBye = true }
        perform(session.serverEvent(event))
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
