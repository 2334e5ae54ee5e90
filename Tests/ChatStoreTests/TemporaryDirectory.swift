import Foundation
import XCTest

extension XCTestCase {
    /// A fresh directory for this test, removed when it ends, so tests never share a
    /// database.
    func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("chatstore-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock {
            try? FileManager.default.removeItem(at: url)
        }
        return url
    }
}

func posixPermissions(
    _ path: String, file: StaticString = #filePath, line: UInt = #line
) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    let mode = try XCTUnwrap(attributes[.posixPermissions] as? NSNumber, file: file, line: line)
    return mode.intValue & 0o777
}
