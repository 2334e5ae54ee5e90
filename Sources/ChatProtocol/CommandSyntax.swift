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
        name: "rooms", usage: "/rooms", summary: "list the rooms")
    static let who = CommandSyntax(
        name: "who", usage: "/who [room]", summary: "list the members of a room (default: the current room)")
    static let msg = CommandSyntax(
        name: "msg", usage: "/msg <user> <text>", summary: "send a direct message to a user")
    static let passwd = CommandSyntax(
        name: "passwd", usage: "/passwd <old> <new>", summary: "change your password (old may not contain spaces)")
    static let ping = CommandSyntax(
        name: "ping", usage: "/ping [token]", summary: "check the connection; the server answers PONG")
    static let help = CommandSyntax(
        name: "help", usage: "/help", summary: "show this help")
    static let quit = CommandSyntax(
        name: "quit", usage: "/quit [message]", summary: "say goodbye and disconnect")

    static let all: [CommandSyntax] = [login, join, leave, say, rooms, who, msg, passwd, ping, help, quit]

    var badArguments: CommandParseError {
        .badArguments(command: self.name, usage: self.usage)
    }
}
