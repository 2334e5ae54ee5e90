import Configuration
import Foundation
import SystemPackage
import Yams

/// The `--config` file: JSON (`.json`) or YAML (`.yaml`, `.yml`), read by
/// swift-configuration's `FileProvider`, and refused whole if it names a key that
/// securechat does not know, so a misspelt limit cannot pass silently for its default.
enum ConfigurationFile {
    static func provider(at path: String) async throws(ConfigurationError) -> any ConfigProvider {
        guard FileManager.default.isReadableFile(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ConfigurationError(origin: .file(path), message: exists ? "cannot read it (permissions)" : "no such file")
        }
        let lowercased = path.lowercased()
        do {
            if lowercased.hasSuffix(".json") {
                return try await FileProvider<KnownKeysSnapshot<JSONSnapshot>>(filePath: FilePath(path))
            }
            if lowercased.hasSuffix(".yaml") || lowercased.hasSuffix(".yml") {
                return try await FileProvider<KnownKeysSnapshot<YAMLSnapshot>>(filePath: FilePath(path))
            }
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(origin: .file(path), message: ConfigurationError.oneLine(error))
        }
        throw ConfigurationError(
            origin: .file(path),
            message: "unknown configuration file type (the name must end in .json, .yaml or .yml)"
        )
    }

    static let knownKeys = Set(ServerSettings.all.map(\.key))
}

/// A file format whose keys can be listed: swift-configuration's snapshots look keys
/// up but do not list them.
protocol KeyListingSnapshot: FileConfigSnapshot {
    /// Every key with a value, dot-joined (`limits.max-line-length`); nil for an empty
    /// document (a file of comments only, as the example is).
    static func keys(in data: Data) throws -> [String]?
}

/// A file snapshot of `Base` that is refused when the file has a key securechat does
/// not know.
struct KnownKeysSnapshot<Base: KeyListingSnapshot>: FileConfigSnapshot {
    typealias ParsingOptions = Base.ParsingOptions

    /// nil for an empty document, which sets nothing.
    private let base: Base?
    let providerName: String

    init(data: RawSpan, providerName: String, parsingOptions: ParsingOptions) throws {
        let bytes = data.withUnsafeBytes { Data($0) }
        guard let keys = try Base.keys(in: bytes) else {
            self.base = nil
            self.providerName = providerName
            return
        }
        let unknown = keys.filter { !ConfigurationFile.knownKeys.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw UnknownKeys(keys: unknown)
        }
        self.base = try Base(data: data, providerName: providerName, parsingOptions: parsingOptions)
        self.providerName = providerName
    }

    func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        guard let base else {
            return LookupResult(encodedKey: key.description, value: nil)
        }
        return try base.value(forKey: key, type: type)
    }

    var description: String { base?.description ?? "\(providerName)[empty]" }
    var debugDescription: String { base?.debugDescription ?? description }
}

struct UnknownKeys: Error, CustomStringConvertible {
    let keys: [String]

    var description: String {
        let quoted = keys.map { "'\($0)'" }.joined(separator: ", ")
        return "unknown key\(keys.count == 1 ? "" : "s") \(quoted) (securechat-server --print-config lists the keys)"
    }
}

extension JSONSnapshot: KeyListingSnapshot {
    static func keys(in data: Data) throws -> [String]? {
        // The top level must be an object; JSONSnapshot says so if it is not.
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        var keys: [String] = []
        var pending: [(String, Any)] = object.map { ($0.key, $0.value) }
        while let (key, value) = pending.popLast() {
            if let nested = value as? [String: Any] {
                pending += nested.map { (key + "." + $0.key, $0.value) }
            } else if !(value is NSNull) {
                keys.append(key)
            }
        }
        return keys
    }
}

extension YAMLSnapshot: KeyListingSnapshot {
    static func keys(in data: Data) throws -> [String]? {
        guard let root = try Yams.Parser(yaml: data).singleRoot() else { return nil }
        // The top level must be a mapping; YAMLSnapshot says so if it is not.
        guard let mapping = root.mapping else { return [] }
        var keys: [String] = []
        var pending: [(String, Node)] = mapping.map { ($0.key.string ?? "\($0.key)", $0.value) }
        while let (key, value) = pending.popLast() {
            if let nested = value.mapping {
                pending += nested.map { (key + "." + ($0.key.string ?? "\($0.key)"), $0.value) }
            } else if value.null == nil {
                // A section whose keys are all commented out is null: not a key.
                keys.append(key)
            }
        }
        return keys
    }
}
