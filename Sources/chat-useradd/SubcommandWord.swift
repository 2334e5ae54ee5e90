/// Finds the subcommand among the arguments, so options may come before it
/// (`chat-useradd --db X passwd bob`), and keeps a misspelt subcommand from becoming
/// a user name: `chat-useradd lsit` would otherwise ask for lsit's password.
enum SubcommandWord {
    /// The words that name a subcommand, in the order ties are broken; `help` is
    /// ArgumentParser's own.
    static let subcommands = ["add", "list", "delete", "lock", "unlock", "passwd", "init"]
    /// A bare name this close to a subcommand is taken for a typo, not a new user.
    static let typoDistance = 2
    /// Options that take a value, which is never the subcommand.
    private static let optionsWithValue: Set = ["--db", "--cost"]

    /// The arguments with the subcommand first: the one given, or `add` for a bare
    /// name. Arguments without a word (`--help`, `--version`) are left as they are.
    static func arrange(_ arguments: [String]) throws(Refusal) -> [String] {
        guard let index = firstWord(in: arguments) else { return arguments }
        let word = arguments[index]
        if subcommands.contains(word) || word == "help" {
            var rest = arguments
            rest.remove(at: index)
            return [word] + rest
        }
        if let meant = likelyMeant(word) {
            throw Refusal(
                "'\(word)' is not a subcommand: did you mean \(meant)? (to add a user with that name: chat-useradd add \(word))"
            )
        }
        return ["add"] + arguments
    }

    /// The index of the first argument that is neither an option nor an option's
    /// value; after `--`, the next argument.
    private static func firstWord(in arguments: [String]) -> Int? {
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if argument == "--" {
                return index + 1 < arguments.endIndex ? index + 1 : nil
            }
            if argument.hasPrefix("-"), argument.count > 1 {
                index += optionsWithValue.contains(argument) ? 2 : 1
                continue
            }
            return index
        }
        return nil
    }

    /// The subcommand a word is a typo of, if any. Only words a user name could be
    /// are considered (others are refused as names anyway, without being echoed).
    static func likelyMeant(_ word: String) -> String? {
        guard userNameCharacters(word) else { return nil }
        let lowered = Array(word.lowercased())
        let ranked = subcommands.map { ($0, editDistance(lowered, Array($0))) }
            .filter { $0.1 <= typoDistance }
            .min { $0.1 < $1.1 }
        return ranked?.0
    }

    private static func userNameCharacters(_ word: String) -> Bool {
        !word.isEmpty && word.utf8.count <= 32
            && word.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)) }
    }

    /// Edit distance counting an insertion, a deletion, a substitution or a swap of
    /// two neighbours as one edit (optimal string alignment): `lsit` is one from `list`.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
