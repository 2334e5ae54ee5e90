/// The three echo-off questions of `/passwd` typed alone in interactive mode: the
/// current password, the new one, the new one again. Pure state, fed the keys the
/// input row would get, so it is tested without a terminal; the runner draws
/// ``prompt`` on the input row (and nothing of what is typed, like passwd(1)) and
/// keeps printing incoming lines above it meanwhile.
///
/// Asked on the input row rather than with `PasswordPrompt` on `/dev/tty`: the
/// runner's keyboard thread is already reading the terminal, and two readers would
/// split the keys between them.
struct PasswordChangePrompt {
    enum Stage: Equatable {
        case current, new, again
    }

    enum Action: Equatable {
        /// Nothing visible changed (typing echoes nothing).
        case none
        /// The prompt changed: draw the row again.
        case changed
        /// Ctrl-C, Ctrl-D on an empty answer, or an empty answer: nothing is sent.
        case cancelled(String)
        /// The two new passwords differ: nothing is sent.
        case mismatch
        case finished(old: String, new: String)
    }

    private(set) var stage = Stage.current
    private var typed: [Character] = []
    private var current = ""
    private var new = ""

    /// A password longer than this cannot fit a protocol line together with the
    /// other one; typing stops there rather than failing after both were entered.
    static let maximumBytes = PasswordPrompt.maximumBytes / 2

    var prompt: String {
        switch stage {
        case .current: "Current password: "
        case .new: "New password: "
        case .again: "New password again: "
        }
    }

    mutating func apply(_ key: Key) -> Action {
        switch key {
        case .text(let text):
            for character in text where String(typed).utf8.count + String(character).utf8.count <= Self.maximumBytes {
                typed.append(character)
            }
            return .none
        case .backspace:
            _ = typed.popLast()
            return .none
        case .eraseLine, .eraseWord:
            typed.removeAll()
            return .none
        case .interrupt:
            return .cancelled("password change cancelled; nothing sent")
        case .endOfInput:
            return typed.isEmpty ? .cancelled("password change cancelled; nothing sent") : .none
        case .enter:
            return submit()
        case .delete, .left, .right, .home, .end, .up, .down, .eraseToEnd, .redraw:
            return .none
        }
    }

    private mutating func submit() -> Action {
        let answer = String(typed)
        typed.removeAll()
        guard !answer.isEmpty else { return .cancelled("no password given; password not changed, nothing sent") }
        switch stage {
        case .current:
            current = answer
            stage = .new
            return .changed
        case .new:
            new = answer
            stage = .again
            return .changed
        case .again:
            return answer == new ? .finished(old: current, new: new) : .mismatch
        }
    }
}
