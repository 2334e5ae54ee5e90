/// The commands the client handles itself; `/help` shows these, then asks the
/// server for its own list.
enum ClientHelp {
    static let lines: [String] = [
        "/msg <user> <text> - end-to-end encrypted DM (refused if the user has no key)",
        "/plain <user> <text> - DM the server can read (for users without a key)",
        "/fingerprint <user> - show your key's fingerprint and theirs, to compare out of band",
        "/trust <user> <fingerprint> - accept a user's changed key, only if it has the fingerprint you compared with them",
        "/quit [message] - leave (Ctrl-C and Ctrl-D on an empty line too)",
        "server commands:",
    ]
}
