import ArgumentParser
import ChatModel
import ChatStore

/// Where the user database lives; every subcommand takes it.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The server's user database (created if missing).",
            valueName: "path"
        )
    )
    var db: String = "data/securechat.db"

    func openStore() throws(Refusal) -> SQLiteStore {
        do {
            return try SQLiteStore(path: db)
        } catch let error as StoreError {
            throw Refusal(error.description)
        } catch {
            throw Refusal("cannot use database \(db): \(error)")
        }
    }
}

/// Validates a NAME argument; the name is never echoed back when invalid, since it
/// may hold control characters.
func userName(_ text: String) throws(Refusal) -> UserName {
    guard let name = UserName(text) else { throw Refusal.invalidName }
    return name
}
