/// The kind, usage and summary of one client command.
///
/// One table feeds both the parser's `badArguments` usage strings and
/// ``HelpText``, so the two cannot drift apart.
struct CommandSyntax: Sendable {
    let kind: ClientCommand.Kind
    let usage: String
    let summary: String

    static let login = CommandSyntax(
        kind: .login, usage: "/login <name> <password>", summary: "log in (the password may contain spaces)")
    static let join = CommandSyntax(
        kind: .join, usage: "/join <room>", summary: "join a room, creating it if new, and make it current")
    static let leave = CommandSyntax(
        kind: .leave, usage: "/leave <room>", summary: "leave a room")
    static let say = CommandSyntax(
        kind: .say, usage: "/say <room> <text>", summary: "send text to a room you are in")
    static let rooms = CommandSyntax(
        kind: .rooms, usage: "/rooms [after]",
        summary: "list the rooms; a line ending in + has more: /rooms <its last room> shows them")
    static let who = CommandSyntax(
        kind: .who, usage: "/who [room [after]]",
        summary: "list the members of a room (default: the current room); after a + line: /who <room> <its last user>")
    static let history = CommandSyntax(
        kind: .history, usage: "/history <room> [count]",
        summary: "show the last messages of a room you are in (count 1-1000, default 50), oldest first")
    static let chathistory = CommandSyntax(
        kind: .chathistory,
        usage: "/chathistory latest <target> [limit] | before|after <target> <id> [limit] | between <target> <id> <id> [limit]",
        summary: "page through a room you are in or your DMs with a user by event id (limit 1-1000, default 100)")
    static let catchup = CommandSyntax(
        kind: .catchup, usage: "/catchup <id> [limit]",
        summary: "the events after id in all your rooms and DMs, oldest first (limit 1-1000, default 500; /catchup 0 from the start)")
    static let msg = CommandSyntax(
        kind: .msg, usage: "/msg <user> <text>", summary: "send a direct message to a user")
    static let passwd = CommandSyntax(
        kind: .passwd, usage: "/passwd \"<old>\" \"<new>\" | /passwd <old> <new>",
        summary: "change your password; quote both (\\\" for a quote, \\\\ for a backslash) if the old one has a space")
    static let cap = CommandSyntax(
        kind: .cap, usage: "/cap ls | /cap req <capability>...",
        summary: "list the server's capabilities, or turn some on (ids: event ids and times on stored lines; -ids: off)")
    static let ping = CommandSyntax(
        kind: .ping, usage: "/ping [token]", summary: "check the connection; the server answers PONG")
    static let pong = CommandSyntax(
        kind: .pong, usage: "/pong [token]", summary: "answer the server's PING (any line does; this one is silent)")
    static let help = CommandSyntax(
        kind: .help, usage: "/help", summary: "show this help")
    static let quit = CommandSyntax(
        kind: .quit, usage: "/quit [message]", summary: "say goodbye and disconnect")

    static let key = CommandSyntax(
        kind: .key, usage: "/key set <base64> | /key get <user>",
        summary: "publish your public key for end-to-end DMs, or fetch a user's")
    static let emsg = CommandSyntax(
        kind: .emsg, usage: "/emsg <user> <payload>",
        summary: "send an end-to-end encrypted DM (payload made by a client such as securechat)")

    static let makePrivate = CommandSyntax(
        kind: .makePrivate, usage: "/private <room>", summary: "(owner) make a room invite-only; its members stay")
    static let makePublic = CommandSyntax(
        kind: .makePublic, usage: "/public <room>", summary: "(owner) let anyone join a private room again")
    static let invite = CommandSyntax(
        kind: .invite, usage: "/invite <user> <room>", summary: "(owner) let a user join a private room")
    static let kick = CommandSyntax(
        kind: .kick, usage: "/kick <user> <room>", summary: "(owner) remove a user from a room; they need a new invitation")
    static let topic = CommandSyntax(
        kind: .topic, usage: "/topic <room> [text | -]",
        summary: "show a room's topic; (owner) set it to text, or clear it with -")
    static let drop = CommandSyntax(
        kind: .drop, usage: "/drop <room>", summary: "(owner) delete a room; its members are removed")

    static let all: [CommandSyntax] = [
        login, join, leave, say, rooms, who, topic, history, chathistory, catchup, makePrivate, makePublic, invite, kick, drop, msg,
        key, emsg, passwd, cap, ping, pong, help, quit,
    ]

    var badArguments: CommandParseError {
        .badArguments(command: self.kind, usage: self.usage)
    }
}
