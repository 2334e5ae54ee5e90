import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Interactive mode: the terminal in raw mode, one input row at the bottom, and
/// everything that arrives printed above it. Printing clears the input row, writes
/// the lines, and draws the row again — prompt, the text typed so far, the cursor
/// where it was — so incoming messages never mangle what is being typed.
///
/// Ctrl-C, Ctrl-D on an empty line, `/quit`, SIGTERM and SIGHUP all leave the same
/// way: `/quit`, the server's `BYE` and TLS close, terminal restored.
///
/// When the connection drops otherwise, the runner reconnects (``Reconnector``)
/// and says so on one status line that it rewrites in place (`reconnecting in 2s…`,
/// then `reconnected`); the input row stays as it is and keeps taking keys, and a
/// line finished meanwhile stays on the row rather than being lost.
final class InteractiveRunner {
    static let quitTimeout: Duration = .seconds(3)

    private let driver: SessionDriver
    private let terminal: Terminal
    private let renderer: TerminalRenderer
    private let link: ServerLink
    private let continuation: AsyncStream<ClientEvent>.Continuation
    private let ringsBell: Bool
    private let reconnects: Bool
    private var connected = true
    /// The person asked to leave while there was no connection to say `/quit` on.
    private var leaving = false
    /// The line printed last is the reconnect status: the next status replaces it.
    private var statusIsLastLine = false
    private var editor = LineEditor()
    /// While set, keys answer `/passwd`'s echo-off questions instead of editing the line.
    private var passwordChange: PasswordChangePrompt?
    private var decoder = KeyDecoder()
    private var signalSources: [any DispatchSourceSignal] = []

    init(
        driver: SessionDriver,
        terminal: Terminal,
        renderer: TerminalRenderer,
        link: ServerLink,
        ringsBell: Bool = true,
        reconnects: Bool = true
    ) {
        self.ringsBell = ringsBell
        self.reconnects = reconnects
        self.driver = driver
        self.terminal = terminal
        self.renderer = renderer
        self.link = link
        self.continuation = link.continuation
    }

    /// Shows a notice above the input row, with a bell if it is for you (a DM, a
    /// mention) and the bell is on.
    func show(_ notice: Notice) {
        let lines = renderer.render(notice)
        guard !lines.isEmpty else { return }
        let bell = ringsBell && notice.asksForAttention(of: driver.session.me) ? "\u{07}" : ""
        terminal.write("\r\u{1B}[K" + lines.joined(separator: "\r\n") + "\r\n" + bell)
        statusIsLastLine = false
        redraw()
    }

    /// Shows the reconnect status on one line: in place of the previous status when
    /// nothing was printed since, else as a new line. Cut to the terminal's width,
    /// so that it is one row and "the row above" is all of it.
    private func showStatus(_ text: String, _ style: TerminalRenderer.Style) {
        var fitted = ""
        var width = 0
        for character in TerminalSafeText.sanitize(text) {
            width += DisplayWidth.of(character)
            guard width < terminal.width else { break }
            fitted.append(character)
        }
        let replace = statusIsLastLine ? "\u{1B}[1A\r\u{1B}[K" : ""
        terminal.write("\r\u{1B}[K" + replace + renderer.paint(fitted, style) + "\r\n")
        statusIsLastLine = true
        redraw()
    }

    /// `/passwd` typed alone: ask on the input row, which keeps what was being typed
    /// (nothing: the line was just submitted) out of the way until it is done.
    func askForPasswords() {
        passwordChange = PasswordChangePrompt()
        redraw()
    }

    func run(events: inout AsyncStream<ClientEvent>.Iterator, startupNotices: [Notice]) async -> Int32 {
        guard terminal.enableRawMode() else {
            FileHandle.standardError.write(Data("securechat: cannot put the terminal into raw mode\n".utf8))
            return 1
        }
        defer {
            terminal.write("\r\u{1B}[K")
            terminal.restore()
        }
        startKeyboardReader()
        watchSignals()
        defer { signalSources.forEach { $0.cancel() } }

        startupNotices.forEach(show)
        driver.scheduleSave = { [link] delay in _ = link.deadline(SessionDriver.saveSeenDeadline, after: delay) }
        driver.begin()
        redraw()
        defer { driver.saveSeen() }
        let reconnector = Reconnector(link: link, user: driver.session.me, password: driver.password)

        while let event = await events.next() {
            switch event {
            case .keyboard(let bytes):
                for key in decoder.feed(bytes) {
                    handle(key)
                }
            case .inputEnded, .terminate:
                quit()
            case .connection(.line(let text)):
                driver.serverLine(text)
                redraw()  // the current room may have changed
            case .connection(.closed(let reason)):
                if driver.quitSent { return 0 }
                let why = driver.farewell ?? reason
                if let farewell = driver.farewell, Reconnector.endsForGood(farewell) {
                    show(.warning("disconnected: \(farewell); not reconnecting"))
                    return 1
                }
                guard reconnects else {
                    if driver.sawBye { return 0 }
                    show(.warning("disconnected\(reason.map { ": \($0)" } ?? "")"))
                    return 1
                }
                if let status = await reconnect(reconnector, why: why, events: &events) { return status }
            case .deadline(SessionDriver.saveSeenDeadline):
                driver.saveSeen()
            case .terminalResized:
                redraw()
            case .deadline("quit"):
                // The server did not close in time after /quit: close from our side.
                await driver.connection.close()
            case .scriptLine, .deadline, .connectAttempt:
                break
            }
        }
        return 1
    }

    /// Reconnects, keys still editing the input row meanwhile; nil once connected
    /// again, else the exit status.
    private func reconnect(_ reconnector: Reconnector, why: String?, events: inout AsyncStream<ClientEvent>.Iterator) async -> Int32? {
        connected = false
        defer { connected = true }
        let lost = "disconnected\(why.map { " (\($0))" } ?? "")"
        driver.connectionLost()
        reconnector.password = driver.password
        let outcome = await reconnector.run(events: &events) { status in
            switch status {
            case .waiting(let seconds, let failure):
                // The reason's last part ("Connection refused", "server busy") fits the row.
                let last = failure.map { " (last try: \($0.components(separatedBy: ": ").last ?? $0))" } ?? ""
                showStatus("!! \(lost); reconnecting in \(seconds)s…\(last)", .boldYellow)
            case .connecting:
                showStatus("!! \(lost); reconnecting…", .boldYellow)
            }
        } other: { event in
            switch event {
            case .keyboard(let bytes):
                for key in decoder.feed(bytes) { handle(key) }
            case .terminalResized:
                redraw()
            case .inputEnded, .terminate:
                leaving = true
            case .deadline(SessionDriver.saveSeenDeadline):
                driver.saveSeen()
            default:
                break
            }
            return leaving
        }
        switch outcome {
        case .reconnected(let connection, let stamps, let pinnedNow):
            showStatus("* \(lost); reconnected", .green)
            if let pinnedNow { show(.note(pinnedNow)) }
            driver.reconnected(connection, stamps: stamps)
            redraw()
            return nil
        case .stopped(let reason):
            show(.warning("\(lost); could not reconnect: \(reason)"))
            return 1
        case .cancelled:
            return 0
        }
    }

    private func handle(_ key: Key) {
        if passwordChange != nil {
            answerPasswordPrompt(key)
            return
        }
        switch editor.apply(key) {
        case .none:
            break
        case .changed:
            redraw()
        case .submit(let line) where !connected:
            if line.lowercased() == "/quit" || line.lowercased().hasPrefix("/quit ") {
                leaving = true
                return
            }
            // Nothing to send it on: the line stays, to send once reconnected.
            editor.restore(line)
            redraw()
        case .submit(let line):
            redraw()
            let outputs = driver.session.userLine(line)
            driver.perform(outputs)
            if outputs.contains(.refused(line)) {
                editor.restore(line)
                show(.note("your text is still in the input line: shorten it, or clear it with Ctrl-U"))
            }
            if outputs.contains(.quit) { startQuitDeadline() }
            redraw()
        case .quit:
            quit()
        }
    }

    private func answerPasswordPrompt(_ key: Key) {
        guard let action = passwordChange?.apply(key) else { return }
        switch action {
        case .none:
            break
        case .changed:
            redraw()
        case .cancelled(let reason):
            passwordChange = nil
            show(.note(reason))
        case .mismatch:
            passwordChange = nil
            show(.warning("the new passwords do not match; password not changed, nothing sent"))
        case .finished where !connected:
            passwordChange = nil
            show(.warning("not connected: password not changed, nothing sent; /passwd again once reconnected"))
        case .finished(let old, let new):
            passwordChange = nil
            redraw()
            driver.perform(driver.session.changePassword(old: old, new: new))
            redraw()
        }
    }

    private func quit() {
        guard connected else {
            leaving = true
            return
        }
        guard !driver.quitSent else { return }
        driver.quit()
        startQuitDeadline()
    }

    private func startQuitDeadline() {
        let continuation = self.continuation
        let timeout = Self.quitTimeout
        Task {
            try await Task.sleep(for: timeout)
            continuation.yield(.deadline("quit"))
        }
    }

    private func redraw() {
        if let passwordChange {
            // Echo off: the prompt alone, the cursor after it.
            terminal.write("\r" + renderer.paint(passwordChange.prompt, .bold) + "\u{1B}[K")
            return
        }
        let room = driver.session.currentRoom.map { "[\(TerminalSafeText.sanitize($0))] " } ?? ""
        let prompt = "\(room)> "
        let (text, column) = editor.view(promptWidth: DisplayWidth.of(prompt), width: terminal.width)
        let painted = renderer.paint(prompt, .bold)
        terminal.write("\r\(painted)\(text)\u{1B}[K\r" + (column > 0 ? "\u{1B}[\(column)C" : ""))
    }

    /// Reads the terminal on its own thread: a blocking read must not hold up the
    /// event loop or the task that draws.
    private func startKeyboardReader() {
        let continuation = self.continuation
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(STDIN_FILENO, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    continuation.yield(.inputEnded)
                    return
                }
                continuation.yield(.keyboard(Array(buffer[..<count])))
            }
        }
        thread.start()
    }

    private func watchSignals() {
        let continuation = self.continuation
        let signals: [(Int32, ClientEvent)] = [
            (SIGWINCH, .terminalResized), (SIGTERM, .terminate), (SIGHUP, .terminate), (SIGINT, .terminate),
        ]
        for (number, event) in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(event) }
            source.resume()
            signalSources.append(source)
        }
    }
}
