/// The line being typed: its characters, the cursor, a history, and how to draw it
/// on one terminal row. Pure state, so it is tested without a terminal.
///
/// The line always occupies exactly one row: when it is wider than the terminal,
/// the view scrolls sideways to keep the cursor visible. That is what makes
/// printing incoming messages above it simple and exact: clear the row, print,
/// draw the row again.
public struct LineEditor: Sendable {
    public enum Action: Equatable, Sendable {
        /// Nothing visible changed.
        case none
        /// The line changed: draw it again.
        case changed
        /// Enter: the finished line (never empty).
        case submit(String)
        /// Ctrl-C, or Ctrl-D on an empty line.
        case quit
    }

    public private(set) var characters: [Character] = []
    public private(set) var cursor = 0
    private var history: [String] = []
    private var historyIndex = 0
    private var draft: [Character] = []
    private var scrollOffset = 0
    static let historyLimit = 500

    public init() {}

    public var text: String { String(characters) }

    public mutating func apply(_ key: Key) -> Action {
        switch key {
        case .text(let text):
            insert(text)
        case .enter:
            let line = text
            guard !line.allSatisfy({ $0 == " " }) else { return .none }
            if history.last != line, !Self.holdsPasswords(line) { history.append(line) }
            if history.count > Self.historyLimit { history.removeFirst() }
            historyIndex = history.count
            characters = []
            cursor = 0
            scrollOffset = 0
            return .submit(line)
        case .backspace:
            guard cursor > 0 else { return .none }
            characters.remove(at: cursor - 1)
            cursor -= 1
        case .delete:
            guard cursor < characters.count else { return .none }
            characters.remove(at: cursor)
        case .endOfInput:
            if characters.isEmpty { return .quit }
            guard cursor < characters.count else { return .none }
            characters.remove(at: cursor)
        case .interrupt:
            return .quit
        case .left:
            guard cursor > 0 else { return .none }
            cursor -= 1
        case .right:
            guard cursor < characters.count else { return .none }
            cursor += 1
        case .home:
            cursor = 0
        case .end:
            cursor = characters.count
        case .eraseLine:
            characters = []
            cursor = 0
        case .eraseToEnd:
            characters.removeSubrange(cursor...)
        case .eraseWord:
            var start = cursor
            while start > 0, characters[start - 1] == " " { start -= 1 }
            while start > 0, characters[start - 1] != " " { start -= 1 }
            characters.removeSubrange(start..<cursor)
            cursor = start
        case .up:
            guard historyIndex > 0 else { return .none }
            if historyIndex == history.count { draft = characters }
            historyIndex -= 1
            characters = Array(history[historyIndex])
            cursor = characters.count
        case .down:
            guard historyIndex < history.count else { return .none }
            historyIndex += 1
            characters = historyIndex == history.count ? draft : Array(history[historyIndex])
            cursor = characters.count
        case .redraw:
            break
        }
        return .changed
    }

    /// `/passwd <old> <new>` typed in full: kept out of the history, so Up does not
    /// bring passwords back onto the screen.
    static func holdsPasswords(_ line: String) -> Bool {
        let word = line.prefix { $0 != " " }
        return word.lowercased() == "/passwd" && word.count < line.count
    }

    /// Puts a line that was submitted but not sent back on the row, cursor at its
    /// end, so it can be edited rather than typed again.
    public mutating func restore(_ line: String) {
        characters = Array(line)
        cursor = characters.count
        scrollOffset = 0
    }

    private mutating func insert(_ text: String) {
        for character in text {
            // A combining mark joins the character before the cursor.
            if cursor > 0, DisplayWidth.of(character) == 0 {
                let joined = String(characters[cursor - 1]) + String(character)
                if joined.count == 1 {
                    characters[cursor - 1] = joined.first!
                    continue
                }
            }
            characters.insert(character, at: cursor)
            cursor += 1
        }
    }

    /// The part of the line to draw after a prompt `promptWidth` cells wide on a
    /// row `width` cells wide, and the column (0-based) for the cursor. The last
    /// column stays empty, so drawing never makes the terminal wrap.
    public mutating func view(promptWidth: Int, width: Int) -> (text: String, cursorColumn: Int) {
        let room = max(1, width - promptWidth - 1)
        scrollOffset = min(scrollOffset, cursor)
        // One pass, so a pasted line of thousands of characters draws at once.
        var widthBeforeCursor = DisplayWidth.of(characters[scrollOffset..<cursor])
        while widthBeforeCursor >= room, scrollOffset < cursor {
            widthBeforeCursor -= DisplayWidth.of(characters[scrollOffset])
            scrollOffset += 1
        }
        var end = scrollOffset
        var used = 0
        while end < characters.count, used + DisplayWidth.of(characters[end]) < room || end < cursor {
            used += DisplayWidth.of(characters[end])
            end += 1
        }
        return (String(characters[scrollOffset..<end]), promptWidth + DisplayWidth.of(characters[scrollOffset..<cursor]))
    }
}
