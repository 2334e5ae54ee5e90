import Foundation

/// Where the client keeps the id of the last stored event it showed for an account
/// on a server (``SeenEvents/lastSeen``), so that the next login catches up from
/// there: `seen/<user>@<server id>` in the config directory, one decimal number,
/// 0600 and replaced whole like every file of the client (``PrivateFile``).
///
/// Named by the server's id (``ServerIdentities``), as the key files are: another
/// spelling of the server's address is the same server, and the same account name
/// on another server is another account.
struct LastSeenFile: Sendable {
    let url: URL

    init(url: URL) {
        self.url = url
    }

    init(config: ConfigDirectory, user: String, serverID: String) {
        self.init(url: config.lastSeenFile(user: user, serverID: serverID))
    }

    /// The id saved, or nil when there is none (the first login on this device) or
    /// the file does not hold one (then the next save replaces it).
    func load() throws -> Int64? {
        guard let text = try PrivateFile.read(url) else { return nil }
        return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0 >= 0 ? $0 : nil }
    }

    func save(_ id: Int64) throws {
        try PrivateFile.write("\(id)\n", to: url)
    }
}
