import ArgumentParser
import Foundation

/// `chat-useradd`: manages securechat accounts in the user database the server reads,
/// in the spirit of useradd/usermod/userdel and mosquitto_passwd. Changes apply to a
/// running server at the next login: no restart, no reload.
@main
struct ChatUserAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat-useradd",
        abstract: "Add and manage securechat users.",
        discussion: """
            With no subcommand, adds a user: `chat-useradd [--db PATH] NAME` equals \
            `chat-useradd add NAME`. To add a user literally named like a subcommand \
            (list, delete, ...), write `chat-useradd add NAME`.
            """,
        subcommands: [Add.self, List.self, Delete.self, Lock.self, Unlock.self, Passwd.self],
        defaultSubcommand: Add.self
    )

    /// Replaces ArgumentParser's default so every failure is one line starting with
    /// the program name, like other Unix tools: exit 2 for usage errors, 1 for
    /// refusals and failures.
    static func main() {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            // --help and --version arrive as "errors" that exit successfully.
            guard exitCode(for: error) != .success else { exit(withError: error) }
            let message = oneLine(message(for: error))
            fail("\(message) (see 'chat-useradd --help')", status: 2)
        }
        do {
            try command.run()
        } catch let refusal as Refusal {
            fail(refusal.message, status: 1)
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            fail(oneLine(String(describing: error)), status: 1)
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
