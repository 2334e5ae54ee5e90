import ArgumentParser
import ChatStore

struct Passwd: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set a new password for a user."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var password: PasswordOptions

    @Argument(help: "The user's name (any case).")
    var name: String

    func run() throws {
        let name = try userName(name)
        let users = try store.openStore()
        guard let existing = try users.user(named: name) else {
            throw Refusal.noSuchUser(name)
        }
        let hash = try password.readAndHash(for: existing.name)
        guard try users.setPasswordHash(hash, for: name) else {
            throw Refusal.noSuchUser(name)
        }
        print("changed password for user \(existing.name)")
    }
}
