import ArgumentParser

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an empty user database, 0600 in a 0700 directory (an existing one is kept).",
        discussion: "For installers: run as the server's user, so the file is the server's."
    )

    @OptionGroup var store: StoreOptions

    func run() throws {
        _ = try store.openStore(creating: true)
    }
}
