import ChatTestSupport
import Foundation
import XCTest

/// The repository's scripts and README as a newcomer meets them.
final class DevScriptsTests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testMakeDevCertsHelpPrintsUsageNotItsSource() async throws {
        let script = repository.appendingPathComponent("Scripts/make-dev-certs").path
        for flag in ["--help", "-h"] {
            let result = try await ChildProcess.run(script, [flag])
            XCTAssertEqual(result.status, 0, result.standardError)
            XCTAssertTrue(result.standardOutput.hasPrefix("Usage: Scripts/make-dev-certs "), result.standardOutput)
            XCTAssertTrue(result.standardOutput.contains("--days N"), result.standardOutput)
            XCTAssertFalse(result.standardOutput.contains("set -e"), result.standardOutput)
            XCTAssertFalse(result.standardOutput.contains("#"), result.standardOutput)
        }
        let unknown = try await ChildProcess.run(script, ["--bogus"])
        XCTAssertEqual(unknown.status, 64, "a usage error, as in the Swift tools")
    }

    /// After `Scripts/serve`, the README's `.build/release/…` commands all exist.
    func testServeBuildsEveryProductTheReadmeRuns() throws {
        let serve = try String(contentsOf: repository.appendingPathComponent("Scripts/serve"), encoding: .utf8)
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        let used = Set(readme.matches(of: /\.build\/release\/([a-z-]+)/).map { String($0.1) })
        XCTAssertTrue(used.isSuperset(of: ["securechat", "chat-useradd"]), "\(used)")
        for product in used {
            XCTAssertTrue(serve.contains("--product \(product)\n"), "Scripts/serve does not build \(product)")
        }
    }

    /// How to run the client is its own section, not part of the threat model.
    func testClientSectionIsNotUnderTheThreatModelHeading() throws {
        let readme = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        var heading = ""
        var clientUsageHeading: String?
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") { heading = String(line) }
            if line.hasPrefix(".build/release/securechat --user alice"), clientUsageHeading == nil {
                clientUsageHeading = heading
            }
        }
        XCTAssertEqual(clientUsageHeading, "## The client: `securechat`")
        XCTAssertTrue(readme.contains("\n## End-to-end direct messages: threat model\n\n### How it works\n"))
    }
}
