import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks for a name or a password on the terminal (`/dev/tty`, like passwd(1), so it
/// works whatever stdin is). The password is read with echo off, key by key, and the
/// terminal is put back however the prompt ends: Enter, Ctrl-C, Ctrl-D.
enum PasswordPrompt {
    /// Longer input is refused: a password must fit a protocol line after
    /// `/login <name> `.
    static let maximumBytes = 4000

    enum Failure: Error {
        case noTerminal
        case cancelled
        case tooLong
    }

    static func ask(_ prompt: String, echo: Bool) throws(Failure) -> String {
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard tty >= 0 else { throw .noTerminal }
        defer { close(tty) }
        if echo {
            // Nothing secret: the terminal's own line editing, and Ctrl-C as usual.
            show(prompt, on: tty)
            return try readVisibleLine(from: tty)
        }
        var original = termios()
        guard tcgetattr(tty, &original) == 0 else { throw .noTerminal }
        var quiet = original
        quiet.c_lflag &= ~tcflag_t(ICANON | ISIG | ECHO)
        withUnsafeMutableBytes(of: &quiet.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        show(prompt, on: tty)
        tcsetattr(tty, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(tty, TCSAFLUSH, &original)
            show("\n", on: tty)
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(tty, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw .cancelled }
            switch byte {
            case 0x0A, 0x0D:
                return String(decoding: bytes, as: UTF8.self)
            case 0x03:
                throw .cancelled
            case 0x04:
                if bytes.isEmpty { throw .cancelled }
            case 0x7F, 0x08:
                // Remove one whole UTF-8 character.
                while let last = bytes.popLast(), last & 0xC0 == 0x80 {}
            case 0x15:
                bytes.removeAll()
            case 0x00...0x1F:
                break
            default:
                guard bytes.count < maximumBytes else { throw .tooLong }
                bytes.append(byte)
            }
        }
    }

    private static func readVisibleLine(from tty: Int32) throws(Failure) -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(tty, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw .cancelled }
            if byte == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            guard bytes.count < maximumBytes else { throw .tooLong }
            bytes.append(byte)
        }
    }

    /// One line from standard input, read byte by byte so nothing after it is taken
    /// from the script that follows.
    static func readLineFromStandardInput() -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(STDIN_FILENO, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == 0x0A { break }
            guard bytes.count < maximumBytes else { return nil }
            bytes.append(byte)
        }
        if bytes.last == 0x0D { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func show(_ text: String, on fd: Int32) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
