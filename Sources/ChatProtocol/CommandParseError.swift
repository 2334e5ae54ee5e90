/// Why a line starting with `/` is not a valid command.
public enum CommandParseError: Error, Equatable, Sendable {
    /// The `/word` as typed (its original case), e.g. `/frobnicate` or `/`.
    case unknownCommand(String)
    /// A known command with missing, extra or empty arguments.
    ///
    /// `command` is lowercased without the slash (`join`); `usage` is its syntax
    /// (`/join <room>`), ready to show to the user.
    case badArguments(command: String, usage: String)
    /// The text given where a room name was expected.
    case badRoomName(String)
}
