import ArgumentParser
import ChatClient
import ChatVersion

@main
struct SecureChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "securechat",
        abstract: "The securechat client, with end-to-end encrypted direct messages.",
        discussion: """
            On a terminal: chat interactively (/help lists the commands). With stdin \
            not a terminal: send each line, print each event as one line, exit 0 once \
            all was answered. The password is asked on the terminal with echo off, or \
            read from the first line of stdin with --password-stdin; never an argument. \
            Keys and pins live in $XDG_CONFIG_HOME/securechat (or ~/.config/securechat). \
            The server's certificate is checked against --ca, else ca.pem in that \
            directory if present, else the system's CAs; never a file of the current \
            directory.
            """,
        version: SecureChatVersion.current
    )

    @Option(help: "Server address.")
    var host = "127.0.0.1"

    @Option(help: "Server port.")
    var port = 7443

    @Option(
        name: .customLong("ca"),
        help:
            "PEM CA certificate(s) to verify the server (default: ca.pem in the config directory if present, else the system's CAs; never the current directory)."
    )
    var caPath: String?

    @Option(help: "Account name (asked on the terminal if missing).")
    var user: String?

    @Flag(help: "Read the password from the first line of standard input.")
    var passwordStdin = false

    @Flag(help: "If the server's certificate is not pinned yet, accept it and pin its SHA-256 in known-servers.")
    var trustOnFirstUse = false

    @Flag(help: "Do not ring the terminal bell on a DM or a message that mentions your name.")
    var noBell = false

    @Flag(
        inversion: .prefixedNo,
        help:
            "Reconnect when the connection drops (backoff 0.5 s to 30 s), log in again and catch up (default: on interactively, off in script mode)."
    )
    var reconnect: Bool?

    func run() async throws {
        var options = ClientOptions()
        options.host = host
        options.port = port
        options.trustRootsPath = caPath
        options.user = user
        options.passwordFromStandardInput = passwordStdin
        options.trustOnFirstUse = trustOnFirstUse
        options.bell = !noBell
        options.reconnect = reconnect
        let status = await ChatClientApp.run(options)
        if status != 0 { throw ExitCode(status) }
    }
}
