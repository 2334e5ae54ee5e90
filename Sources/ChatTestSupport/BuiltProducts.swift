import Foundation

/// The executables SwiftPM built for this package, for tests that run them the way a
/// person does.
public enum BuiltProducts {
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// The path of the executable `name`. SwiftPM puts executables next to the test
    /// bundle (`.build/<triple>/debug`); walking up a few levels also covers layouts
    /// where the bundle sits deeper (macOS `.xctest` bundles). A missing binary is an
    /// error, never a reason to skip.
    public static func path(of name: String) throws -> String {
        let starts = [
            Bundle.main.bundleURL,
            URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent(),
        ]
        for start in starts {
            var directory = start.standardizedFileURL
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: candidate.path) {
                    return candidate.path
                }
                directory.deleteLastPathComponent()
            }
        }
        throw Missing(description: "\(name) not found near \(Bundle.main.bundleURL.path)")
    }
}
