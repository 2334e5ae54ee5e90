import ArgumentParser
import ChatStore

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete a user.",
        discussion: "A session already logged in stays until it disconnects; use lock first to refuse new logins."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The user's name (any case).")
    var name: String

    func run() throws {
        let name = try userName(name)
        guard try store.openStore().deleteUser(name) else {
            throw Refusal.noSuchUser(name)
        }
        print("deleted user \(name)")
    }
}
