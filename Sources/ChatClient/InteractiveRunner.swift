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
final class InteractiveRunner {
    static let quitTimeout: Duration = .seconds(3)

    private let driver: SessionDriver
    private let terminal: Terminal
    private let renderer: TerminalRenderer
    private let continuation: AsyncStream<ClientEvent>.Continuation
    private let ringsBell: Bool
    private var editor = LineEditor()
    /// While set, keys answer `/passwd`'s echo-off questions instead of editing the line.
    private var passwordChange: PasswordChangePrompt?
    private var decoder = KeyDecoder()
    private var signalSources: [any DispatchSourceSignal] = []

    init(
        driver: SessionDriver,
        terminal: Terminal,
        renderer: TerminalRenderer,
        continuation: AsyncStream<ClientEvent>.Continuation,
        ringsBell: Bool = true
    ) {
        self.ringsBell = ringsBell
        self.driver = driver
        self.terminal = terminal
        self.renderer = renderer
        self.continuation = continuation
    }

    /// Shows a notice above the input row, with a bell if it is for you (a DM, a
    /// mention) and the bell is on.
    func show(_ notice: Notice) {
        let lines = renderer.render(notice)
        guard !lines.isEmpty else { return }
        let bell = ringsBell && notice.asksForAttention(of: driver.session.me) ? "\u{07}" : ""
        terminal.write("\r\u{1B}[K" + lines.joined(separator: "\r\n") + "\r\n" + bell)
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
        driver.perform(driver.session.start())
        redraw()

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
                let clean = driver.quitSent || driver.sawBye
                if !clean {
                    show(.warning("disconnected\(reason.map { ": \($0)" } ?? "")"))
                }
                return clean ? 0 : 1
            case .terminalResized:
                redraw()
            case .deadline("quit"):
                // The server did not close in time after /quit: close from our side.
                await driver.connection.close()
            case .scriptLine, .deadline:
                break
            }
        }
        return 1
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
        case .finished(let old, let new):
            passwordChange = nil
            redraw()
            driver.perform(driver.session.changePassword(old: old, new: new))
            redraw()
        }
    }

    private func quit() {
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
