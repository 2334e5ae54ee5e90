/// What `/help` shows: what a person types, under headings, all handled or checked
/// by this client. The server's own `/help` is not asked for: it lists commands
/// that are for clients, not people (`/login`, `/key`, `/emsg`, `/pong`), and its
/// `/msg` is the server-readable DM that this client calls `/plain`.
enum ClientHelp {
    static let lines: [String] = [
        "Talking",
        "  <text>                       to your current room (start with // to send a leading /)",
        "  /me <action>                 an action: others see * you <action>",
        "  /say <room> <text>           to another room you are in",
        "Rooms",
        "  /join <room>                 join a room (created if new) and make it current",
        "  /leave <room>                leave a room",
        "  /rooms                       list the rooms",
        "  /who [room]                  who is in a room (default: the current one)",
        "Direct messages",
        "  /msg <user> <text>           end-to-end encrypted; refused if the user has no key",
        "  /plain <user> <text>         a DM the server can read, for users without a key",
        "History",
        "  /back [room|user] [count]    earlier messages of a room (default: the current one) or of your DMs with a user; again for more",
        "  /history <room> [count]      a room's last messages (default 50)",
        "  (what was said while you were away is shown at login and after a reconnect, once)",
        "Keys",
        "  /fingerprint <user>          your key's fingerprint and theirs, to compare out of band",
        "  /trust <user> <fingerprint>  accept a changed key, only with the fingerprint you compared",
        "Account and leaving",
        "  /passwd                      change your password: asks for the current and the new one, echo off",
        "  /ping                        check the connection",
        "  /quit [message]              leave (Ctrl-C, or Ctrl-D on an empty line, too)",
        "Editing",
        "  Up/Down history, Ctrl-A/Ctrl-E start/end, Ctrl-U clear the line, Ctrl-W delete a word",
    ]
}
