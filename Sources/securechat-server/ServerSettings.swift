import ChatServer
import Logging

/// Everything the configuration sets: the library's `ServerConfiguration`, and what
/// belongs to the executable: the log level (it bootstraps logging) and whether its
/// configuration may ask for port 0.
struct ServerSettings: Sendable {
    var server = ServerConfiguration()
    var logLevel: Logger.Level = .info
    /// Port 0 (any free port) only on purpose: a server that comes up on a random
    /// port nobody can find is a typo's work, not a deployment. Tests and scripts
    /// that learn the port from the log say so; the library takes 0 as it is.
    var allowEphemeralPort = false
}
