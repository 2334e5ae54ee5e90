import ArgumentParser
import ChatStore

struct Lock: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lock a user: the account stays, its logins are refused."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The user's name (any case).")
    var name: String

    func run() throws {
        try setLocked(true, name: name, store: store)
        print("locked user \(name)")
    }
}

struct Unlock: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Unlock a locked user."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The user's name (any case).")
    var name: String

    func run() throws {
        try setLocked(false, name: name, store: store)
        print("unlocked user \(name)")
    }
}

private func setLocked(_ locked: Bool, name text: String, store: StoreOptions) throws {
    let name = try userName(text)
    guard try store.openStore().setLocked(locked, for: name) else {
        throw Refusal.noSuchUser(name)
    }
}
