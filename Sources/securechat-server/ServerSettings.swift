import ChatServer
import Logging

/// Everything the configuration sets: the library's `ServerConfiguration`, and the log
/// level, which belongs to the executable (it bootstraps logging).
struct ServerSettings: Sendable {
    var server = ServerConfiguration()
    var logLevel: Logger.Level = .info
}
