import Logging
import NIOConcurrencyHelpers

/// Every log line a server wrote during a test, for checks on what is (and is
/// never) logged: a password must not appear, a failed login must.
public final class CapturedLogs: Sendable {
    private let entries = NIOLockedValueBox<[String]>([])

    public init() {}

    public func append(_ entry: String) {
        entries.withLockedValue { $0.append(entry) }
    }

    public var all: [String] {
        entries.withLockedValue { $0 }
    }

    public var joined: String { all.joined(separator: "\n") }
}

/// Renders each log event as one line, "level message key=value …", into
/// `CapturedLogs`.
public struct CapturingLogHandler: LogHandler {
    public let logs: CapturedLogs
    public var logLevel: Logger.Level = .trace
    public var metadata: Logger.Metadata = [:]

    public init(logs: CapturedLogs) {
        self.logs = logs
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        logs.append("\(event.level) \(event.message) \(rendered)")
    }
}
