import ChatProtocol
import ChatTestSupport
import Foundation
import XCTest

/// A line with a stamp in front (`@id=<n>;time=<time> <line>`), taken apart.
struct StampedLine: Equatable {
    let id: Int64
    let time: String
    let line: String

    /// Nil for a line without a stamp.
    init?(_ text: String) {
        guard text.hasPrefix("@id="), let space = text.firstIndex(of: " "), let semicolon = text.firstIndex(of: ";"), semicolon < space,
            let id = Int64(text[text.index(text.startIndex, offsetBy: 4)..<semicolon]), text[semicolon...].hasPrefix(";time=")
        else { return nil }
        self.id = id
        self.time = String(text[text.index(semicolon, offsetBy: 6)..<space])
        self.line = String(text[text.index(after: space)...])
    }
}

/// A payload `/emsg` accepts: base64 of more bytes than a nonce and a tag.
let sealedPayload = Data((0..<48).map { UInt8($0) }).base64EncodedString()

extension ServerHarness {
    /// A connection that asked for `ids` before logging in as `name`.
    func loginWithIDs(_ name: String, _ password: String? = nil, file: StaticString = #filePath, line: UInt = #line) async throws
        -> TestLineClient
    {
        let client = try await connect(file: file, line: line)
        try await client.send("/cap req ids")
        try await expect(client, "OK cap req ids", file: file, line: line)
        try await client.send("/login \(name) \(password ?? Self.password(of: name))")
        try await expect(client, "OK login \(name)", file: file, line: line)
        return client
    }
}

/// Reads the next line, checks that it is `expected` with a stamp in front, and
/// returns the stamp's id.
@discardableResult
func expectStamped(_ client: TestLineClient, _ expected: String, file: StaticString = #filePath, line: UInt = #line) async throws -> Int64 {
    let got = try await client.nextLine()
    guard let got, let stamped = StampedLine(got) else {
        XCTFail("expected a stamped '\(expected)', got \(got.map { "'\($0)'" } ?? "connection closed")", file: file, line: line)
        return -1
    }
    XCTAssertEqual(stamped.line, expected, file: file, line: line)
    XCTAssertNotNil(EventTime(stamped.time), "bad time \(stamped.time)", file: file, line: line)
    return stamped.id
}

/// Reads the next line, checks that it is stamped and starts with `prefix`, and
/// returns it taken apart.
@discardableResult
func expectStamped(_ client: TestLineClient, prefix: String, file: StaticString = #filePath, line: UInt = #line) async throws -> StampedLine? {
    let got = try await client.nextLine()
    guard let got, let stamped = StampedLine(got) else {
        XCTFail("expected a stamped '\(prefix)…', got \(got.map { "'\($0)'" } ?? "connection closed")", file: file, line: line)
        return nil
    }
    XCTAssertTrue(stamped.line.hasPrefix(prefix), "expected '\(prefix)…', got '\(stamped.line)'", file: file, line: line)
    return stamped
}

/// The stamped lines of one `/chathistory` or `/catchup` answer and its `OK` line,
/// which is the first unstamped line. Fails on anything else.
func readPage(_ client: TestLineClient, file: StaticString = #filePath, line: UInt = #line) async throws -> (lines: [StampedLine], ok: String) {
    var lines: [StampedLine] = []
    while let next = try await client.nextLine() {
        guard let stamped = StampedLine(next) else { return (lines, next) }
        lines.append(stamped)
    }
    XCTFail("the connection closed during a page", file: file, line: line)
    return (lines, "")
}
