import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gets a database path ready before SQLite opens it: the parent directory exists
/// (0700) and the file exists (0600).
///
/// The file is created here rather than by SQLite because SQLite would create it
/// with 0644 minus the umask, exposing password hashes to every local user, and
/// changing the umask is process-wide (racy in a threaded server). SQLite creates
/// the `-wal` and `-shm` files with the main file's mode, so they end up 0600 too.
/// Existing files keep the mode their owner gave them.
enum DatabaseFile {
    struct Failure: Error {
        let reason: String
    }

    static func prepare(path: String) throws(Failure) {
        // SQLite treats these as a temporary or in-memory database, which would
        // silently lose every account.
        guard !path.isEmpty, path != ":memory:" else {
            throw Failure(reason: "not a file path")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try makeDirectory(directory)
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)
            return
        }
        let code = errno
        // EEXIST: an existing database (or something SQLite will reject clearly).
        guard code == EEXIST else {
            throw Failure(reason: "cannot create file: \(describe(code))")
        }
    }

    /// `mkdir -p` with mode 0700 for every directory it creates.
    private static func makeDirectory(_ directory: String) throws(Failure) {
        if mkdir(directory, 0o700) == 0 { return }
        let code = errno
        switch code {
        case EEXIST:
            var info = stat()
            guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
                throw Failure(reason: "\(directory) is not a directory")
            }
        case ENOENT:
            let parent = (directory as NSString).deletingLastPathComponent
            guard !parent.isEmpty, parent != directory else {
                throw Failure(reason: "cannot create directory \(directory): \(describe(code))")
            }
            try makeDirectory(parent)
            if mkdir(directory, 0o700) != 0, errno != EEXIST {
                throw Failure(reason: "cannot create directory \(directory): \(describe(errno))")
            }
        default:
            throw Failure(reason: "cannot create directory \(directory): \(describe(code))")
        }
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
