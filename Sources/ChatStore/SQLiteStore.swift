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
    /// Batches `append`s into shared transactions (see `GroupCommitWriter`).
    let writer: GroupCommitWriter

    /// What a commit survives. Both survive a crash of the process (`kill -9`): a
    /// committed transaction is in the WAL file, which the next opener replays.
    public enum Durability: Sendable {
        /// `synchronous=NORMAL`, the default: the WAL is synced at checkpoints only, so
        /// a power cut or kernel crash can lose the last transactions (never corrupt
        /// the file). Fast: commits cost no fsync.
        case normal
        /// `synchronous=FULL`: the WAL is synced at every commit, so a power cut loses
        /// nothing committed either. Costs one fsync per transaction (per batch of
        /// appends, thanks to group commit).
        case full
    }

    /// Opens the database at `path`, creating the file and its parent directory if
    /// needed, and brings the schema up to date. Blocks while it does.
    ///
    /// - Throws: `StoreError.unusableDatabase` with a one-line reason.
    public init(path: String, durability: Durability = .normal) throws {
        do {
            try DatabaseFile.prepare(path: path)
        } catch {
            throw StoreError.unusableDatabase(path: path, reason: error.reason)
        }

        do {
            pool = try Self.openPool(path: path)
            if durability == .full {
                // The writer connection is the only one that commits, and GRDB sets
                // NORMAL on it when it turns WAL on, after any prepareDatabase hook.
                try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            }
        } catch {
            throw StoreError.unusableDatabase(path: path, reason: Self.reason(for: error))
        }
        writer = GroupCommitWriter(pool: pool)
    }

    deinit {
        writer.shutdown()
    }

    /// Closes the database file. Later calls throw. Lets a stopped server release the
    /// file at once instead of whenever the last reference goes.
    /// Appends already submitted are committed first; later ones throw
    /// `ConversationStoreError.closed`.
    public func close() throws {
        writer.shutdown()
        try pool.close()
    }
}
