import Logging

extension SessionHandler {
    /// Logs with this session's identity (session, peer, and user once logged in);
    /// `extra` wins on a clash. Nothing is built unless the level is enabled.
    func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message, _ extra: @autoclosure () -> Logger.Metadata = [:]) {
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = ["session": "\(id)", "peer": "\(peerAddress):\(peerPort)"]
        if let loggedInUser { metadata["user"] = "\(loggedInUser)" }
        metadata.merge(extra()) { _, new in new }
        logger.log(level: level, message(), metadata: metadata)
    }

    /// A user name as typed may be anything the line allowed. Log lines stay one line,
    /// short and unambiguous: Unicode scalars outside a small ASCII set become `?`
    /// (no look-alike names, no combining marks stacking kilobytes on one
    /// "character"), and at most 64 bytes are kept.
    static func loggable(_ name: String) -> String {
        var result = ""
        for scalar in name.unicodeScalars {
            if result.utf8.count >= 64 {
                result += "..."
                break
            }
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": result.unicodeScalars.append(scalar)
            default: result += "?"
            }
        }
        return result
    }
}
