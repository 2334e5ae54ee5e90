import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files only their owner may read: the key file, the pin files. Written whole to a
/// temporary file in the same directory (mode 0600 from the start, never a moment
/// readable by others), synced, then renamed over the old one, so a crash leaves
/// the old file or the new one, never half of each.
enum PrivateFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Creates `directory` and missing parents, 0700 (only new ones are changed).
    static func makeDirectory(_ directory: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw Failure(description: "\(directory.path) is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw Failure(description: "cannot create \(directory.path): \(error.localizedDescription)")
        }
    }

    static func read(_ url: URL) throws -> String? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot read \(url.path): \(error.localizedDescription)")
        }
    }

    static func write(_ text: String, to url: URL) throws {
        try makeDirectory(url.deletingLastPathComponent())
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(temporary.path): \(errnoText())") }
        var ok = fchmod(fd, 0o600) == 0  // whatever the umask
        var bytes = Array(text.utf8)
        var offset = 0
        while ok && offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            ok = written > 0
            if ok { offset += written }
        }
        let failure = ok ? "" : errnoText()
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary.path, url.path) == 0 else {
            let reason = failure.isEmpty ? errnoText() : failure
            unlink(temporary.path)
            throw Failure(description: "cannot write \(url.path): \(reason)")
        }
    }

    /// Whether anyone but the owner may read or write the file.
    static func isExposed(_ url: URL) -> Bool {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return false }
        return info.st_mode & 0o077 != 0
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
