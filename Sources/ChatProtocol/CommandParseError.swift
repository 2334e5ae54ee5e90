/// Why a line starting with `/` is not a valid command.
public enum CommandParseError: Error, Equatable, Sendable {
    /// The `/word` as typed (its original case), e.g. `/frobnicate` or `/`.
    case unknownCommand(String)
    /// A known command with missing, extra or empty arguments.
    ///
    /// `command` says which (the server tells only the commands allowed before
    /// login why they failed); `usage` is its syntax (`/join <room>`), ready to show
    /// to the user.
    case badArguments(command: ClientCommand.Kind, usage: String)
    /// The text given where a room name was expected.
    case badRoomName(String)
}
