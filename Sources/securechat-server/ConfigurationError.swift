import Foundation

/// Why the configuration was refused: one line that names where the bad value is
/// (the file, the environment variable or the flag) and what is wrong with it.
struct ConfigurationError: Error, CustomStringConvertible {
    /// Where the problem is; a flag is a usage error (exit 64, as before there were
    /// files), the rest make the server exit 1, or a reload keep the running
    /// configuration.
    let origin: ValueSource
    let message: String

    var description: String {
        switch origin {
        case .flag, .defaults: message
        case .environment(let name): "\(name): \(message)"
        case .file(let path): "\(path): \(message)"
        }
    }

    /// `error` on one line: parsers' messages can span several (YAML's show the line
    /// with a caret under it), and the server's errors are one line each.
    static func oneLine(_ error: any Error) -> String {
        // JSONSerialization's errors carry their useful part ("Unexpected character
        // … around line 3") in the debug description.
        let debug = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
        return (debug ?? "\(error)")
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}

/// Where a value came from, highest precedence first.
enum ValueSource: Sendable, Equatable {
    case flag(String)
    case environment(String)
    case file(String)
    case defaults

    /// As `--print-config` shows it: `flag --port`, `env SECURECHAT_PORT`, `file`,
    /// `default`.
    var label: String {
        switch self {
        case .flag(let flag): "flag \(flag)"
        case .environment(let name): "env \(name)"
        case .file: "file"
        case .defaults: "default"
        }
    }
}
