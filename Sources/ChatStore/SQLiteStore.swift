import Foundation
internal import GRDB

/// The embedded store: one SQLite file in WAL mode, shared by the running server and
/// `chat-useradd`. It conforms to `AccountStore` and `PublicKeyStore`, which is how the
/// server uses it; `chat-useradd` and tests also have blocking calls of its own
/// (`SQLiteStore+Administration.swift`).
///
/// Every call is one short transaction, and no account data is cached (prepared
/// statements are), so a change made by another process (a new user, a lock, a new
/// password) is seen by the next call: the server picks it up at the next login with
/// no restart or reload signal. The async calls run on GRDB's own connection queues
/// and never block the caller's thread.
public final class SQLiteStore: Sendable {
    let pool: DatabasePool

    /// Opens the database at `path`, creating the file and its parent directory if
    /// needed, and brings the schema up to date. Blocks while it does.
    ///
    /// - Throws: `StoreError.unusableDatabase` with a one-line reason.
    public init(path: String) throws {
        do {
            try DatabaseFile.prepare(path: path)
        } catch {
            throw StoreError.unusableDatabase(path: path, reason: error.reason)
        }

        do {
            pool = try Self.openPool(path: path)
        } catch {
            throw StoreError.unusableDatabase(path: path, reason: Self.reason(for: error))
        }
    }

    /// Closes the database file. Later calls throw. Lets a stopped server release the
    /// file at once instead of whenever the last reference goes.
    public func close() throws {
        try pool.close()
    }
}
