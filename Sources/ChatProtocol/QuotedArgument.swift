/// The quoted form of an argument, for the one command whose arguments may hold
/// anything (`/passwd "<old>" "<new>"`): `"`, the text with `\"` for a quote and
/// `\\` for a backslash, then `"`. Every other character, spaces and TABs
/// included, stands for itself, so a person can type it into `openssl s_client`.
///
/// Only those two escapes exist: a backslash before anything else is an error
/// rather than a literal, so that a mistyped escape is refused instead of silently
/// changing a password.
enum QuotedArgument {
    static let quote: Unicode.Scalar = "\""
    static let backslash: Unicode.Scalar = "\\"

    /// `text` in quotes, escaped: what ``parse(_:)`` reads back as `text`.
    static func quoted(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        result.append(quote)
        for scalar in text.unicodeScalars {
            if scalar == quote || scalar == backslash { result.append(backslash) }
            result.append(scalar)
        }
        result.append(quote)
        return String(result)
    }

    /// Reads one quoted argument at the start of `text` (which must begin with `"`).
    /// Returns its value and what follows the closing quote, or nil if it is
    /// unterminated, uses another escape, or is not followed by a space or the end.
    static func parse(_ text: Substring.UnicodeScalarView) -> (value: String, rest: Substring.UnicodeScalarView)? {
        guard text.first == quote else { return nil }
        var value = String.UnicodeScalarView()
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let scalar = text[index]
            index = text.index(after: index)
            if scalar == quote {
                let rest = text[index...]
                guard rest.isEmpty || rest.first == " " else { return nil }
                return (String(value), rest)
            }
            if scalar == backslash {
                guard index < text.endIndex, text[index] == quote || text[index] == backslash else { return nil }
                value.append(text[index])
                index = text.index(after: index)
                continue
            }
            value.append(scalar)
        }
        return nil
    }
}
