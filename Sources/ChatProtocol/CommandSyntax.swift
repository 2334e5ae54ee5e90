/// The name, usage and summary of one client command.
///
/// One table feeds both the parser's `badArguments` usage strings and
/// ``HelpText``, so the two cannot drift apart.
struct CommandSyntax: Sendable {
    /// Lowercased, without the slash.
    let name: String
    let usage: String
    let summary: String

    static let login = CommandSyntax(
        name: "login", usage: "/login <name> <password>", summary: "log in (the password may contain spaces)")
    static let join = CommandSyntax(
        name: "join", usage: "/join <room>", summary: "join a room, creating it if new, and make it current")
    static let leave = CommandSyntax(
        name: "leave", usage: "/leave <room>", summary: "leave a room")
    static let say = CommandSyntax(
        name: "say", usage: "/say <room> <text>", summary: "send text to a room you are in")
    static let rooms = CommandSyntax(
        name: "rooms", usage: "/rooms [after]",
        summary: "list the rooms; a line ending in + has more: /rooms <its last room> shows them")
    static let who = CommandSyntax(
        name: "who", usage: "/who [room [after]]",
        summary: "list the members of a room (default: the current room); after a + line: /who <room> <its last user>")
    static let msg = CommandSyntax(
        name: "msg", usage: "/msg <user> <text>", summary: "send a direct message to a user")
    static let passwd = CommandSyntax(
        name: "passwd", usage: "/passwd <old> <new>", summary: "change your password (old may not contain spaces)")
    static let ping = CommandSyntax(
        name: "ping", usage: "/ping [token]", summary: "check the connection; the server answers PONG")
    static let pong = CommandSyntax(
        name: "pong", usage: "/pong [token]", summary: "answer the server's PING (any line does; this one is silent)")
    static let help = CommandSyntax(
        name: "help", usage: "/help", summary: "show this help")
    static let quit = CommandSyntax(
        name: "quit", usage: "/quit [message]", summary: "say goodbye and disconnect")

    static let key = CommandSyntax(
        name: "key", usage: "/key set <base64> | /key get <user>",
        summary: "publish your public key for end-to-end DMs, or fetch a user's")
    static let emsg = CommandSyntax(
        name: "emsg", usage: "/emsg <user> <payload>",
        summary: "send an end-to-end encrypted DM (payload made by a client such as securechat)")

    static let all: [CommandSyntax] = [login, join, leave, say, rooms, who, msg, key, emsg, passwd, ping, pong, help, quit]

    var badArguments: CommandParseError {
        .badArguments(command: self.name, usage: self.usage)
    }
}
