import ArgumentParser
import ChatCrypto
import ChatModel
import ChatStore

/// Argon2id cost presets selectable on the command line.
enum CostLevel: String, CaseIterable, ExpressibleByArgument {
    case interactive, moderate, sensitive, minimum

    var cost: PasswordCost {
        switch self {
        case .interactive: .interactive
        case .moderate: .moderate
        case .sensitive: .sensitive
        case .minimum: .minimum
        }
    }
}

/// How a new password is obtained and hashed (`add` and `passwd`).
struct PasswordOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            """
            Argon2id cost: interactive (default; ~0.1 s, 64 MiB per login), moderate, \
            sensitive, or minimum (for tests and benchmarks only: it does not protect \
            real passwords).
            """,
            valueName: "level"
        )
    )
    var cost: CostLevel = .interactive

    @Flag(
        name: .long,
        help: """
            Read the password as one line from standard input instead of prompting \
            on the terminal.
            """
    )
    var passwordStdin = false

    /// Reads a non-empty password and returns its hash; the password itself never
    /// leaves this function.
    func readAndHash(for name: UserName) throws(Refusal) -> String {
        let password =
            if passwordStdin {
                try PasswordReader.readLine(from: .standardInput)
            } else {
                try PasswordReader.promptTwice(for: name)
            }
        guard !password.isEmpty else { throw Refusal("empty password") }
        do {
            return try PasswordHasher(cost: cost.cost).hash(password)
        } catch PasswordHashError.outOfMemory {
            throw Refusal("not enough memory to hash the password at cost \(cost.rawValue)")
        } catch PasswordHashError.invalidPassword {
            throw Refusal("password rejected by the hash function")
        } catch {
            throw Refusal("cannot hash the password")
        }
    }
}
