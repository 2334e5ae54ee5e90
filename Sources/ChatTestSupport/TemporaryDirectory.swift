import Foundation
import XCTest

/// Fresh directories for a test's database, configuration and files, so tests never
/// share state.
public enum TemporaryDirectory {
    /// A new, empty directory under the system's temporary directory. The caller
    /// removes it; inside a test prefer `XCTestCase.makeTemporaryDirectory()`.
    public static func make() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("securechat-test-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

extension XCTestCase {
    /// A new, empty directory, removed when this test ends (passed or not).
    public func makeTemporaryDirectory() throws -> URL {
        let directory = try TemporaryDirectory.make()
        addTeardownBlock {
            try? FileManager.default.removeItem(at: directory)
        }
        return directory
    }
}
