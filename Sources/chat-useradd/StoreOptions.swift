import ArgumentParser
import ChatModel
import ChatStore
import Foundation

/// Where the user database lives; every subcommand takes it.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            """
            The server's user database. Default: $SECURECHAT_DATABASE, else data/securechat.db \
            of the source tree this binary was built in. Only add and init create a missing one.
            """,
            valueName: "path"
        )
    )
    var db: String?

    /// Opens the database; a missing file is created only when `creating` (add and
    /// init), so a mistyped path is not silently a new, empty database.
    func openStore(creating: Bool = false) throws(Refusal) -> SQLiteStore {
        // Not `??`: its autoclosure would widen the thrown type to `any Error`.
        let path: String
        if let db { path = db } else { path = try DefaultDatabase.path() }
        if !creating, !FileManager.default.fileExists(atPath: path) {
            throw Refusal("cannot use database \(path): no such file (only add and init create one)")
        }
        do {
            return try SQLiteStore(path: path)
        } catch let error as StoreError {
            throw Refusal(error.description)
        } catch {
            throw Refusal("cannot use database \(path): \(error)")
        }
    }
}

/// Validates a NAME argument; the name is never echoed back when invalid, since it
/// may hold control characters.
func userName(_ text: String) throws(Refusal) -> UserName {
    guard let name = UserName(text) else { throw Refusal.invalidName }
    return name
}
