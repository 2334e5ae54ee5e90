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
            chat-useradd init [--db <path>]
            """,
        discussion: """
            Options may come before or after the subcommand. With no subcommand, adds a \
            user: `chat-useradd [--db PATH] NAME` equals `chat-useradd add NAME`, unless \
            NAME is within two typos of a subcommand (lsit, lcok): that is refused as a \
            usage error; write `chat-useradd add NAME` for such a user, or one named like \
            a subcommand. Without --db: $SECURECHAT_DATABASE, else data/securechat.db of \
            the source tree this binary was built in, else refused.
            """,
        version: SecureChatVersion.current,
        subcommands: [Add.self, List.self, Delete.self, Lock.self, Unlock.self, Passwd.self, Init.self],
        defaultSubcommand: Add.self
    )

    /// Replaces ArgumentParser's default so every failure is one line starting with
    /// the program name, like other Unix tools: exit 64 (EX_USAGE, as the server
    /// and the client) for usage errors, 1 for refusals and failures.
    static func main() {
        let arguments: [String]
        do throws(Refusal) {
            arguments = try SubcommandWord.arrange(Array(CommandLine.arguments.dropFirst()))
        } catch {
            fail("\(error.message) (see 'chat-useradd --help')", status: ExitCode.validationFailure.rawValue)
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let refusal as Refusal {
            fail(refusal.message, status: 1)
        } catch {
            // --help, `help` and --version arrive as errors that exit successfully.
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            let message = oneLine(message(for: error))
            if code == .validationFailure {
                fail("\(message) (see 'chat-useradd --help')", status: code.rawValue)
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
