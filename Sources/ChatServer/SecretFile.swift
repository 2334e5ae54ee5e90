#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Startup checks on files that hold secrets (the TLS private key, the password
/// database), in the spirit of OpenSSH's StrictModes: a key others can read is
/// refused, with the command that fixes it.
enum SecretFile {
    /// Throws a `StartupError` if `path` is readable or writable by group or others,
    /// or is a symbolic link (unless `allowSymlink`). A missing file passes: whoever
    /// opens it reports that.
    static func check(_ path: String, what: String, allowSymlink: Bool) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            guard allowSymlink else {
                throw StartupError(
                    "refusing \(what) \(path): it is a symbolic link (pass --allow-symlinked-secrets to accept)"
                )
            }
            guard stat(path, &info) == 0 else { return }
        }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw StartupError(
                "refusing \(what) \(path): group or others can access it (mode \(String(mode, radix: 8))); fix with: chmod 600 \(path)"
            )
        }
    }
}
