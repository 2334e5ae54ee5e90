import ChatCrypto
import ChatModel
import ChatStore
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads passwords from standard input or, with echo off, from the terminal.
enum PasswordReader {
    /// Longer input is refused rather than buffered without bound. Far above any
    /// typed password (a 1,000-character Unicode passphrase still fits), and small
    /// enough that `/login <32-byte name> <password>` fits the protocol's default
    /// 4096-byte line: a password that could never be typed at login is refused here.
    static let maximumBytes = 4096 - "/login ".utf8.count - 32 - 1

    enum Source {
        case standardInput
        case descriptor(Int32)

        var descriptor: Int32 {
            switch self {
            case .standardInput: STDIN_FILENO
            case .descriptor(let fd): fd
            }
        }
    }

    /// Reads exactly one line, byte by byte so nothing after the newline is
    /// consumed, and drops the "\n" and one "\r" before it. EOF ends the line too.
    static func readLine(from source: Source) throws(Refusal) -> String {
        var bytes: [UInt8] = []
        defer { wipe(&bytes) }
        var byte: UInt8 = 0
        while true {
            let count = read(source.descriptor, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw Refusal("cannot read the password: \(describeErrno())") }
            if count == 0 || byte == UInt8(ascii: "\n") { break }
            guard bytes.count < maximumBytes else {
                throw Refusal("password longer than \(maximumBytes) bytes")
            }
            bytes.append(byte)
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard let password = String(validating: bytes, as: UTF8.self) else {
            throw Refusal("password is not valid UTF-8")
        }
        return password
    }

    /// Asks twice on /dev/tty with echo off and insists both answers match. The
    /// terminal is used even when stdin/stdout are redirected, as passwd(1) does.
    static func promptTwice(for name: UserName) throws(Refusal) -> String {
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard tty >= 0 else {
            throw Refusal("no terminal to ask for the password on; use --password-stdin")
        }
        defer { close(tty) }
        let first = try prompt("Password for \(name): ", on: tty)
        guard !first.isEmpty else { return first }
        let second = try prompt("Retype password for \(name): ", on: tty)
        guard SecretComparison.equal(Array(first.utf8), Array(second.utf8)) else {
            throw Refusal("passwords do not match")
        }
        return first
    }

    private static func prompt(_ text: String, on tty: Int32) throws(Refusal) -> String {
        var original = termios()
        guard tcgetattr(tty, &original) == 0 else {
            throw Refusal("cannot configure the terminal: \(describeErrno())")
        }
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        show(text, on: tty)
        // Watch for signals before echo goes off, so no moment is unguarded.
        let guardian = EchoGuardian(tty: tty, original: original, silent: silent)
        defer {
            guardian.restore()
            show("\n", on: tty)
        }
        // TCSAFLUSH drops type-ahead, which was echoed in clear before this point.
        guard tcsetattr(tty, TCSAFLUSH, &silent) == 0 else {
            throw Refusal("cannot turn off terminal echo: \(describeErrno())")
        }
        return try readLine(from: .descriptor(tty))
    }

    private static func show(_ text: String, on fd: Int32) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
    }

    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            // Unlike a plain loop of zero stores, explicit_bzero cannot be optimised out.
            explicit_bzero(base, buffer.count)
        }
    }

    private static func describeErrno() -> String {
        String(cString: strerror(errno))
    }
}

/// Keeps terminal echo right while a prompt runs with echo off: an interrupt
/// (Ctrl-C) restores echo before exiting, a suspend (Ctrl-Z) restores it while the
/// shell has the terminal and turns it off again on `fg`. Without this the shell
/// would be left with echo off, or the password would echo after resuming.
/// The signals go to dispatch sources, so no global state or async-signal-safe
/// handler is needed.
private struct EchoGuardian {
    private static let terminating: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    private static let handled = terminating + [SIGTSTP, SIGCONT]
    private let tty: Int32
    private let original: termios
    private let queue = DispatchQueue(label: "chat-useradd.signals")
    private let sources: [any DispatchSourceSignal]

    init(tty: Int32, original: termios, silent: termios) {
        self.tty = tty
        self.original = original
        var sources: [any DispatchSourceSignal] = []
        for number in Self.handled {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            switch number {
            case SIGTSTP:
                source.setEventHandler {
                    Self.apply(original, to: tty)
                    kill(getpid(), SIGSTOP)
                }
            case SIGCONT:
                source.setEventHandler {
                    Self.apply(silent, to: tty)
                }
            default:
                source.setEventHandler {
                    Self.apply(original, to: tty)
                    _ = write(tty, "\n", 1)
                    exit(128 + number)
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func restore() {
        for source in sources { source.cancel() }
        // Let a handler already running finish before echo is put back for good.
        queue.sync {}
        Self.apply(original, to: tty)
        for number in Self.handled { signal(number, SIG_DFL) }
    }

    private static func apply(_ settings: termios, to tty: Int32) {
        var settings = settings
        tcsetattr(tty, TCSAFLUSH, &settings)
    }
}
