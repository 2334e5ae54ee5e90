/// The text of `/help`, one command per line; the server sends each as an `INFO` line.
public enum HelpText {
    public static let lines: [String] =
        CommandSyntax.all.map { "\($0.usage) - \($0.summary)" } + [
            "text not starting with / goes to your current room; start it with // to send a leading /"
        ]
}
