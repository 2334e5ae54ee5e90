import ChatServer
import Configuration
import XCTest

@testable import securechat_server

/// The key table of `securechat-server` against the library and swift-configuration.
final class SettingsTableTests: XCTestCase {
    /// What the table says SIGHUP applies is what `takingRuntimeChanges` takes, key by key.
    func testReloadableKeysAreExactlyWhatAReloadApplies() throws {
        let running = ServerSettings()
        for setting in ServerSettings.all {
            var changed = running
            try setting.apply(Self.otherValue(than: setting.content(of: running), for: setting), to: &changed)
            XCTAssertNotEqual(setting.content(of: changed), setting.content(of: running), setting.key)

            var afterReload = running
            afterReload.server = running.server.takingRuntimeChanges(from: changed.server)
            let applied = setting.content(of: afterReload) == setting.content(of: changed)
            XCTAssertEqual(applied, setting.reloads, "\(setting.key): the table says reloads=\(setting.reloads)")
        }
    }

    /// Each derived variable name is the one swift-configuration reads for the key.
    func testEnvironmentVariableNamesMatchSwiftConfiguration() {
        XCTAssertEqual(ServerSettings.environmentVariable(for: "limits.max-line-length"), "SECURECHAT_LIMITS_MAX_LINE_LENGTH")
        for setting in ServerSettings.all {
            let provider = EnvironmentVariablesProvider(environmentVariables: [setting.environmentVariable: "1"])
                .prefixKeys(with: "securechat")
            let reader = ConfigReader(provider: provider)
            XCTAssertEqual(reader.string(forKey: ConfigKey(setting.key)), "1", setting.key)
        }
        XCTAssertEqual(Set(ServerSettings.all.map(\.key)).count, ServerSettings.all.count, "a key is listed twice")
    }

    /// A key named like a secret never shows its value; no key today is one.
    func testSecretValuesAreRedacted() {
        XCTAssertTrue(ServerSettings.isSecretKey("database.password"))
        XCTAssertTrue(ServerSettings.isSecretKey("tls.key-material"))
        XCTAssertTrue(ServerSettings.isSecretKey("metrics.secret-token"))
        XCTAssertFalse(ServerSettings.isSecretKey("allow-symlinked-secrets"))
        XCTAssertFalse(ServerSettings.all.contains { $0.isSecret })

        let secret = Setting("store.password", .restart, \.server.serverName, .text())
        var loaded = LoadedConfiguration()
        loaded.entries = [.init(setting: secret, value: .string("hunter2"), source: .file("x.yaml"))]
        let text = ConfigurationReport(loaded: loaded).text
        XCTAssertFalse(text.contains("hunter2"), text)
        XCTAssertTrue(text.contains("store.password  <redacted>"), text)
    }

    private static func otherValue(than content: ConfigContent, for setting: any ServerSetting) throws -> ConfigContent {
        switch (setting.key, content) {
        case ("tls.profile", _): return .string("modern")
        case ("hashing.cost", _): return .string("minimum")
        case ("database-synchronous", _): return .string("full")
        case ("log-level", _): return .string("debug")
        case ("metrics.listen", _): return .string("127.0.0.1:9464")
        case (_, .string(let text)): return .string(text + "-changed")
        case (_, .int(let number)): return .int(number + 1)
        case (_, .double(let number)): return .double(number + 1)
        case (_, .bool(let flag)): return .bool(!flag)
        default:
            // A setting of a kind this test cannot vary would go unchecked: fail, so
            // the test learns the new kind.
            throw NoOtherValue(key: setting.key)
        }
    }

    private struct NoOtherValue: Error, CustomStringConvertible {
        let key: String
        var description: String { "no other value to try for \(key): teach otherValue(than:for:) this kind" }
    }
}
