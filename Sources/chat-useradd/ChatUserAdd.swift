import ArgumentParser
import ChatVersion
import Foundation

/// `chat-useradd`: manages securechat accounts in the user database the server reads,
/// in the spirit of useradd/usermod/userdel and mosquitto_passwd. Changes apply to a
/// running server at the next login: no restart, no reload.
@main
struct ChatUserAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat-useradd",
        abstract: "Add and manage securechat users.",
        usage: """
            chat-useradd [add] [--db <path>] [--cost <level>] [--password-stdin] <name>
            chat-useradd list [--db <path>]
            chat-useradd delete|lock|unlock [--db <path>] <name>
            chat-useradd passwd [--db <path>] [--cost <level>] [--password-stdin] <name>
            """,
        discussion: """
            With no subcommand, adds a user: `chat-useradd [--db PATH] NAME` equals \
            `chat-useradd add NAME`. To add a user literally named like a subcommand \
            (list, delete, ...), write `chat-useradd add NAME`.
            """,
        version: SecureChatVersion.current,
        subcommands: [Add.self, List.self, Delete.self, Lock.self, Unlock.self, Passwd.self],
        defaultSubcommand: Add.self
    )

    /// Replaces ArgumentParser's default so every failure is one line starting with
    /// the program name, like other Unix tools: exit 2 for usage errors, 1 for
    /// refusals and failures.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let refusal as Refusal {
            fail(refusal.message, status: 1)
        } catch {
            // --help, `help` and --version arrive as errors that exit successfully.
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            let message = oneLine(message(for: error))
            if code == .validationFailure {
                fail("\(message) (see 'chat-useradd --help')", status: 2)
            }
            guard !message.isEmpty else { Foundation.exit(code.rawValue) }
            fail(message, status: code.rawValue)
        }
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("chat-useradd: \(message)\n".utf8))
        Foundation.exit(status)
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}
