import Foundation
internal import GRDB

extension SQLiteStore {
    /// How long a statement waits for another process's lock before failing.
    /// Writes here take milliseconds, so this only matters under real contention.
    static let busyTimeout: TimeInterval = 5

    /// Opening is retried this many times when another process holds a lock.
    private static let openAttempts = 10

    /// Opens the pool (WAL mode) and migrates it.
    ///
    /// Two processes opening the same new file at once (the server starting while an
    /// administrator runs chat-useradd) can get SQLITE_BUSY without any wait: GRDB
    /// switches the file to WAL and primes the WAL in a deferred transaction, and
    /// SQLite refuses such lock upgrades at once instead of calling the busy handler,
    /// to avoid deadlock. Seen in tests here about one time in five with four
    /// concurrent openers; a short, bounded back-off makes it go through.
    static func openPool(path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "securechat.users"
        var attempt = 1
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try migrate(pool)
                return pool
            } catch let error as DatabaseError
                where attempt < openAttempts
                && (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED)
            {
                Thread.sleep(forTimeInterval: 0.01 * Double(attempt))
                attempt += 1
            }
        }
    }

    /// GRDB reads the applied migrations before it takes the write lock, so two
    /// processes migrating a new file at once can both try "v1-users"; the loser
    /// fails on the existing table. Its second attempt sees the migration recorded
    /// and does nothing.
    private static func migrate(_ pool: DatabasePool) throws {
        do {
            try migrator.migrate(pool)
        } catch {
            try migrator.migrate(pool)
        }
    }

    /// A one-line, human-readable reason for `StoreError.unusableDatabase`.
    static func reason(for error: any Error) -> String {
        let text: String
        if let error = error as? DatabaseError {
            text = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        } else {
            text = String(describing: error)
        }
        // The reason is printed as one line after "chat-useradd: ".
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
