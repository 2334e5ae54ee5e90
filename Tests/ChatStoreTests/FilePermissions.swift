import Foundation
import XCTest

/// The permission bits of `path` (the store keeps its files private).
func posixPermissions(
    _ path: String, file: StaticString = #filePath, line: UInt = #line
) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    let mode = try XCTUnwrap(attributes[.posixPermissions] as? NSNumber, file: file, line: line)
    return mode.intValue & 0o777
}
