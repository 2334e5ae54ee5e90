import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The controlling terminal in raw mode: every key press arrives at once, nothing
/// is echoed, and Ctrl-C / Ctrl-Z / Ctrl-S arrive as bytes rather than signals (the
/// client turns Ctrl-C into a clean `/quit`). Output post-processing stays on.
final class Terminal {
    private let input: Int32
    private let output: Int32
    private var original: termios?

    init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) {
        self.input = input
        self.output = output
    }

    static func isTerminal(_ fd: Int32) -> Bool {
        isatty(fd) == 1
    }

    func enableRawMode() -> Bool {
        var settings = termios()
        guard tcgetattr(input, &settings) == 0 else { return false }
        original = settings
        settings.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        settings.c_iflag &= ~tcflag_t(IXON | ICRNL | INLCR | IGNCR | ISTRIP | BRKINT)
        settings.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        return tcsetattr(input, TCSAFLUSH, &settings) == 0
    }

    func restore() {
        guard var original else { return }
        tcsetattr(input, TCSAFLUSH, &original)
        self.original = nil
    }

    /// Columns of the output terminal (80 if it cannot be asked).
    var width: Int {
        var size = winsize()
        guard ioctl(output, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(output, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
