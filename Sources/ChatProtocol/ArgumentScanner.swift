/// Walks a command's arguments: space-separated tokens (or quoted ones), then free text.
struct ArgumentScanner {
    private var rest: Substring.UnicodeScalarView

    init(_ arguments: Substring.UnicodeScalarView) {
        self.rest = arguments
    }

    /// True if nothing but spaces remains, so trailing spaces are not an argument.
    var isAtEnd: Bool {
        self.rest.allSatisfy { $0 == " " }
    }

    /// The next token, after skipping any run of spaces; `nil` if there is none.
    ///
    /// The space that ends the token is left in place for ``freeText()``.
    mutating func token() -> String? {
        let start = self.rest.firstIndex { $0 != " " } ?? self.rest.endIndex
        let remaining = self.rest[start...]
        guard !remaining.isEmpty else {
            self.rest = remaining
            return nil
        }
        let end = remaining.firstIndex(of: " ") ?? remaining.endIndex
        self.rest = remaining[end...]
        return String(remaining[..<end])
    }

    /// The rest of the line verbatim, after the one space that separates it.
    mutating func freeText() -> String {
        let remaining = self.rest.first == " " ? self.rest.dropFirst() : self.rest
        self.rest = remaining[remaining.endIndex...]
        return String(remaining)
    }

    /// Whether the next argument, after any spaces, starts with `"`: the quoted form.
    var nextIsQuoted: Bool {
        self.rest.first { $0 != " " } == QuotedArgument.quote
    }

    /// The next argument in the quoted form (``QuotedArgument``), after skipping any
    /// run of spaces; `nil` if there is none or it is malformed.
    mutating func quoted() -> String? {
        let start = self.rest.firstIndex { $0 != " " } ?? self.rest.endIndex
        guard let (value, rest) = QuotedArgument.parse(self.rest[start...]) else { return nil }
        self.rest = rest
        return value
    }

    /// Like ``freeText()``, but `nil` when there is none.
    mutating func optionalFreeText() -> String? {
        let text = self.freeText()
        return text.isEmpty ? nil : text
    }
}
