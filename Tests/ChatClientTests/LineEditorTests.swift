@testable import ChatClient
import XCTest

final class KeyDecoderTests: XCTestCase {
    func testKeysFromRawBytes() {
        var decoder = KeyDecoder()
        XCTAssertEqual(decoder.feed(Array("hi".utf8) + [0x0D]), [.text("hi"), .enter])
        XCTAssertEqual(
            decoder.feed([0x7F, 0x03, 0x04, 0x15, 0x17, 0x0B, 0x0C, 0x01, 0x05]),
            [.backspace, .interrupt, .endOfInput, .eraseLine, .eraseWord, .eraseToEnd, .redraw, .home, .end])
        XCTAssertEqual(
            decoder.feed(Array("\u{1B}[A\u{1B}[B\u{1B}[C\u{1B}[D\u{1B}[H\u{1B}[F\u{1B}OH\u{1B}[3~\u{1B}[1~\u{1B}[4~".utf8)),
            [.up, .down, .right, .left, .home, .end, .home, .delete, .home, .end])
        XCTAssertEqual(decoder.feed(Array("\u{1B}[1;5C".utf8)), [], "ctrl-arrow is ignored, not typed")
    }

    func testSequencesAndUTF8SplitAcrossReads() {
        var decoder = KeyDecoder()
        let bytes = Array("é\u{1B}[Dx日".utf8)
        var keys: [Key] = []
        for byte in bytes { keys += decoder.feed([byte]) }
        XCTAssertEqual(keys, [.text("é"), .left, .text("x"), .text("日")])
    }

    func testControlCharactersNeverBecomeText() {
        var decoder = KeyDecoder()
        XCTAssertEqual(decoder.feed([0x61, 0x00, 0x1A, 0x62, 0xC2, 0x9B, 0xFF, 0x63]), [.text("a"), .text("bc")])
    }
}

final class LineEditorTests: XCTestCase {
    func apply(_ keys: [Key], to editor: inout LineEditor) -> [LineEditor.Action] {
        keys.map { editor.apply($0) }
    }

    func testTypingEditingAndSubmitting() {
        var editor = LineEditor()
        _ = apply([.text("helo"), .left, .text("l"), .end, .text(" world")], to: &editor)
        XCTAssertEqual(editor.text, "hello world")
        _ = apply([.eraseWord], to: &editor)
        XCTAssertEqual(editor.text, "hello ")
        _ = apply([.backspace, .home, .delete], to: &editor)
        XCTAssertEqual(editor.text, "ello")
        XCTAssertEqual(editor.apply(.enter), .submit("ello"))
        XCTAssertEqual(editor.text, "")
        XCTAssertEqual(editor.apply(.enter), .none, "empty lines are not sent")
        _ = apply([.text("x y"), .left, .left, .eraseToEnd], to: &editor)
        XCTAssertEqual(editor.text, "x")
        _ = apply([.eraseLine], to: &editor)
        XCTAssertEqual(editor.text, "")
    }

    func testQuitKeys() {
        var editor = LineEditor()
        XCTAssertEqual(editor.apply(.endOfInput), .quit)
        _ = editor.apply(.text("ab"))
        _ = editor.apply(.home)
        XCTAssertEqual(editor.apply(.endOfInput), .changed, "Ctrl-D deletes when the line has text")
        XCTAssertEqual(editor.text, "b")
        XCTAssertEqual(editor.apply(.interrupt), .quit)
    }

    func testHistory() {
        var editor = LineEditor()
        _ = apply([.text("one"), .enter, .text("two"), .enter, .text("dra")], to: &editor)
        _ = editor.apply(.up)
        XCTAssertEqual(editor.text, "two")
        _ = editor.apply(.up)
        XCTAssertEqual(editor.text, "one")
        XCTAssertEqual(editor.apply(.up), .none)
        _ = apply([.down, .down], to: &editor)
        XCTAssertEqual(editor.text, "dra")
    }

    func testCombiningMarksJoinTheirCharacter() {
        var editor = LineEditor()
        _ = apply([.text("e"), .text("\u{301}"), .text("x"), .backspace, .backspace], to: &editor)
        XCTAssertEqual(editor.text, "")
    }

    func testALongLineScrollsSidewaysAndKeepsTheCursorVisible() {
        var editor = LineEditor()
        _ = editor.apply(.text(String(repeating: "a", count: 30) + "XYZ"))
        let atEnd = editor.view(promptWidth: 4, width: 20)
        XCTAssertEqual(atEnd.text, String(repeating: "a", count: 11) + "XYZ")
        XCTAssertEqual(atEnd.cursorColumn, 18)
        XCTAssertLessThan(atEnd.cursorColumn, 20)
        _ = editor.apply(.home)
        let atStart = editor.view(promptWidth: 4, width: 20)
        XCTAssertEqual(atStart.cursorColumn, 4)
        XCTAssertEqual(atStart.text, String(repeating: "a", count: 14))
        var wide = LineEditor()
        _ = wide.apply(.text("日本語"))
        XCTAssertEqual(wide.view(promptWidth: 2, width: 80).cursorColumn, 8)
    }
}

/// `/passwd` typed alone: three echo-off answers on the input row.
final class PasswordChangePromptTests: XCTestCase {
    func testTwoMatchingNewPasswordsFinish() {
        var prompt = PasswordChangePrompt()
        XCTAssertEqual(prompt.prompt, "Current password: ")
        XCTAssertEqual(prompt.apply(.text("correct horse")), .none)
        XCTAssertEqual(prompt.apply(.text(" battery stapl")), .none)
        XCTAssertEqual(prompt.apply(.backspace), .none)
        XCTAssertEqual(prompt.apply(.text("le")), .none)
        XCTAssertEqual(prompt.apply(.enter), .changed)
        XCTAssertEqual(prompt.prompt, "New password: ")
        XCTAssertEqual(prompt.apply(.text("wrong")), .none)
        XCTAssertEqual(prompt.apply(.eraseLine), .none)
        XCTAssertEqual(prompt.apply(.text(" spaced \"new\" ")), .none)
        XCTAssertEqual(prompt.apply(.enter), .changed)
        XCTAssertEqual(prompt.prompt, "New password again: ")
        XCTAssertEqual(prompt.apply(.text(" spaced \"new\" ")), .none)
        XCTAssertEqual(prompt.apply(.enter), .finished(old: "correct horse battery staple", new: " spaced \"new\" "))
    }

    func testAMismatchOrACancelSendsNothing() {
        var prompt = PasswordChangePrompt()
        for key: Key in [.text("old"), .enter, .text("one"), .enter, .text("other")] { _ = prompt.apply(key) }
        XCTAssertEqual(prompt.apply(.enter), .mismatch)

        var cancelled = PasswordChangePrompt()
        _ = cancelled.apply(.text("half"))
        XCTAssertEqual(cancelled.apply(.endOfInput), .none, "Ctrl-D cancels only an empty answer")
        guard case .cancelled = cancelled.apply(.interrupt) else { return XCTFail("Ctrl-C did not cancel") }
        guard case .cancelled = PasswordChangePrompt().applying(.enter) else { return XCTFail("an empty answer did not cancel") }
    }

    func testPasswdLinesStayOutOfTheHistory() {
        var editor = LineEditor()
        for key: Key in [.text("/passwd old new"), .enter, .text("/passwd"), .enter, .text("hello"), .enter, .up, .up] {
            _ = editor.apply(key)
        }
        XCTAssertEqual(editor.text, "/passwd", "/passwd alone holds no password; the line with both is not kept")
        _ = editor.apply(.up)
        XCTAssertEqual(editor.text, "/passwd")
    }
}

extension PasswordChangePrompt {
    fileprivate func applying(_ key: Key) -> Action {
        var copy = self
        return copy.apply(key)
    }
}
