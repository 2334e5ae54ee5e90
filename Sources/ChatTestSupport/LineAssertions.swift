import XCTest

/// Reads the next line and checks it.
public func expect(
    _ client: TestLineClient,
    _ expected: String,
    file: StaticString = #filePath,
    line: UInt = #line
) async throws {
    let got = try await client.nextLine()
    XCTAssertEqual(got, expected, file: file, line: line)
}

/// Reads the next line and checks that it starts with `prefix`; returns it.
@discardableResult
public func expect(
    _ client: TestLineClient,
    prefix: String,
    file: StaticString = #filePath,
    line: UInt = #line
) async throws -> String? {
    let got = try await client.nextLine()
    XCTAssertTrue(got?.hasPrefix(prefix) == true, "expected '\(prefix)…', got \(got.map { "'\($0)'" } ?? "connection closed")", file: file, line: line)
    return got
}

/// Proves that nothing else is waiting for `client`: a ping's PONG is the next line.
public func expectNothingPending(
    _ client: TestLineClient,
    file: StaticString = #filePath,
    line: UInt = #line
) async throws {
    let token = "marker-\(UInt32.random(in: 0 ... .max))"
    try await client.send("/ping \(token)")
    try await expect(client, "PONG \(token)", file: file, line: line)
}

/// Reads until the server closes the connection; returns the lines it sent first.
public func expectClosed(
    _ client: TestLineClient,
    file: StaticString = #filePath,
    line: UInt = #line
) async throws -> [String] {
    try await client.linesUntilClosed()
}
