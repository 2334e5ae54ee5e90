import ArgumentParser
import ChatStore

struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add a user (the default subcommand)."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var password: PasswordOptions

    @Argument(help: "1 to 32 characters from A-Z a-z 0-9 _ . - (unique ignoring case).")
    var name: String

    func run() throws {
        let name = try userName(name)
        let users = try store.openStore(creating: true)
        // Checked before prompting so nobody types a password for nothing; the
        // database's unique index still decides if another process races us.
        if let existing = try users.user(named: name) {
            throw Refusal("user \(existing.name) already exists")
        }
        let hash = try password.readAndHash(for: name)
        do {
            try users.addUser(name, passwordHash: hash)
        } catch let error as StoreError {
            throw Refusal(error.description)
        }
        print("added user \(name)")
    }
}
