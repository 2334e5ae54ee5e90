import ChatTestSupport
import ChatVersion
import XCTest

/// `--version` of the three executables prints the one version string.
final class VersionTests: XCTestCase {
    func testEveryExecutablePrintsTheVersion() async throws {
        XCTAssertFalse(SecureChatVersion.current.isEmpty)
        for name in ["securechat-server", "chat-useradd", "securechat"] {
            let result = try await ChildProcess.run(try BuiltProducts.path(of: name), ["--version"])
            XCTAssertEqual(result.status, 0, "\(name): \(result.standardError)")
            XCTAssertEqual(result.standardOutput, SecureChatVersion.current + "\n", name)
        }
    }
}
