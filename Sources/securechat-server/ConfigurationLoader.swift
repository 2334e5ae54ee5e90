import Configuration
import Synchronization

/// The configuration as loaded: the settings, and where each value came from.
struct LoadedConfiguration: Sendable {
    struct Entry: Sendable {
        let setting: any ServerSetting
        let value: ConfigContent
        let source: ValueSource
    }

    var settings = ServerSettings()
    /// One per key, in `ServerSettings.all` order.
    var entries: [Entry] = []
    /// The configuration file and what named it (`--config` or `SECURECHAT_CONFIG`).
    var file: (path: String, source: ValueSource)?
    /// `SECURECHAT_*` variables that name no key: ignored, with a warning.
    var unknownEnvironment: [String] = []

    /// Keys that need a restart and whose value differs in `other`.
    func restartOnlyChanges(comparedTo other: LoadedConfiguration) -> [String] {
        zip(entries, other.entries)
            .filter { !$0.0.setting.reloads && $0.0.value != $0.1.value }
            .map(\.0.setting.key)
    }
}

/// Reads the configuration through swift-configuration's provider hierarchy: flags,
/// then `SECURECHAT_*` environment variables, then the file, then the defaults of
/// `ServerConfiguration`. Flags and environment are taken once; `load()` reads the
/// file again each time (SIGHUP).
struct ConfigurationLoader: Sendable {
    /// The values given as flags, by key.
    let flagValues: [String: ConfigContent]
    let environment: [String: String]
    /// `--config`; else `SECURECHAT_CONFIG`.
    let configFlag: String?

    func load() async throws(ConfigurationError) -> LoadedConfiguration {
        var loaded = LoadedConfiguration()
        loaded.file = configFile
        loaded.unknownEnvironment = unknownEnvironment

        let flags = InMemoryProvider(
            name: "flags",
            values: Dictionary(
                uniqueKeysWithValues: flagValues.map { key, content in
                    (AbsoluteConfigKey(ConfigKey(key)), ConfigValue(content, isSecret: ServerSettings.isSecretKey(key)))
                })
        )
        let variables = EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "securechat")
        var providers: [any ConfigProvider] = [flags, variables]
        if let file = loaded.file {
            providers.append(try await ConfigurationFile.provider(at: file.path))
        }
        let recorder = AccessRecorder()
        let reader = ConfigReader(providers: providers, accessReporter: recorder)

        for setting in ServerSettings.all {
            func origin(_ providerName: String) -> ValueSource {
                if providerName == flags.providerName { return .flag(setting.flag ?? "--\(setting.key)") }
                if providerName == variables.providerName { return .environment(setting.environmentVariable) }
                if let file = loaded.file { return .file(file.path) }
                return .defaults
            }
            let content = Self.read(setting, from: reader)
            let results = recorder.event(for: setting.key)?.providerResults ?? []
            for result in results {
                if case .failure = result.result {
                    let source = origin(result.providerName)
                    var message = "expected \(setting.expected)"
                    if case .environment(let name) = source, let raw = environment[name] {
                        message += ", got '\(raw)'"
                    }
                    throw Self.error(setting, source, message)
                }
            }
            guard let content else {
                loaded.entries.append(.init(setting: setting, value: setting.content(of: loaded.settings), source: .defaults))
                continue
            }
            let answered = results.first { (try? $0.result.get())?.value != nil }
            let source = answered.map { origin($0.providerName) } ?? .defaults
            do {
                try setting.apply(content, to: &loaded.settings)
            } catch {
                throw Self.error(setting, source, error.reason)
            }
            loaded.entries.append(.init(setting: setting, value: content, source: source))
        }
        if loaded.settings.server.port == 0, !loaded.settings.allowEphemeralPort,
            let port = loaded.entries.first(where: { $0.setting.key == "port" })
        {
            throw Self.error(
                port.setting, port.source,
                "0 means any free port; refused unless asked for with --allow-ephemeral-port (allow-ephemeral-port: true)")
        }
        return loaded
    }

    var configFile: (path: String, source: ValueSource)? {
        if let configFlag {
            return (configFlag, .flag("--config"))
        }
        if let path = environment[ServerSettings.configFileVariable], !path.isEmpty {
            return (path, .environment(ServerSettings.configFileVariable))
        }
        return nil
    }

    var unknownEnvironment: [String] {
        let known = Set(ServerSettings.all.map(\.environmentVariable) + [ServerSettings.configFileVariable])
        return environment.keys
            .filter { $0.uppercased().hasPrefix("SECURECHAT_") && !known.contains($0.uppercased()) }
            .sorted()
    }

    private static func read(_ setting: any ServerSetting, from reader: ConfigReader) -> ConfigContent? {
        let key = ConfigKey(setting.key)
        let secret = setting.isSecret
        switch setting.type {
        case .string: return reader.string(forKey: key, isSecret: secret).map(ConfigContent.string)
        case .int: return reader.int(forKey: key, isSecret: secret).map(ConfigContent.int)
        case .double: return reader.double(forKey: key, isSecret: secret).map(ConfigContent.double)
        case .bool: return reader.bool(forKey: key, isSecret: secret).map(ConfigContent.bool)
        default: preconditionFailure("no setting is of type \(setting.type)")
        }
    }

    /// In a file the key is named; a variable or flag names it already.
    private static func error(_ setting: any ServerSetting, _ source: ValueSource, _ reason: String) -> ConfigurationError {
        if case .file = source {
            return ConfigurationError(origin: source, message: "\(setting.key): \(reason)")
        }
        return ConfigurationError(origin: source, message: reason)
    }
}

/// Keeps each key's last access event: which providers were asked, which one answered
/// and which refused a value. swift-configuration reports every read to it.
private final class AccessRecorder: AccessReporter {
    private let events = Mutex<[String: AccessEvent]>([:])

    func report(_ event: AccessEvent) {
        events.withLock { $0[event.metadata.key.description] = event }
    }

    func event(for key: String) -> AccessEvent? {
        events.withLock { $0[key] }
    }
}
