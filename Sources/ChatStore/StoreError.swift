/// Failures of a store that callers are expected to handle.
///
/// Other database failures (disk full, I/O errors) surface as the underlying error.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An account with this name, compared case-insensitively, already exists.
    case duplicateUser(String)
    /// The database file could not be opened, created or migrated.
    case unusableDatabase(path: String, reason: String)

    public var description: String {
        switch self {
        case .duplicateUser(let name):
            "user \(name) already exists"
        case .unusableDatabase(let path, let reason):
            "cannot use database \(path): \(reason)"
        }
    }
}
