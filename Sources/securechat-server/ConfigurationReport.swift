import ChatVersion

/// What `--print-config` prints: every key with its effective value, where the value
/// came from, and whether SIGHUP applies a change to it. Values are written as in a
/// file (strings quoted); a secret's value never appears.
struct ConfigurationReport {
    let loaded: LoadedConfiguration

    var text: String {
        var lines = ["# securechat-server \(SecureChatVersion.current): effective configuration"]
        if let file = loaded.file {
            lines.append("# file: \(file.path) (\(file.source.label))")
        } else {
            lines.append("# file: none (--config FILE or \(ServerSettings.configFileVariable) names one)")
        }
        lines.append("# precedence: flag > env > file > default")
        if !loaded.unknownEnvironment.isEmpty {
            lines.append("# ignored, no such key: \(loaded.unknownEnvironment.joined(separator: ", "))")
        }
        let rows =
            [["key", "value", "source", "on SIGHUP"]]
            + loaded.entries.map { entry in
                [
                    entry.setting.key,
                    entry.setting.isSecret ? "<redacted>" : entry.value.shown,
                    entry.source.label,
                    entry.setting.reloads ? "reloads" : "restart",
                ]
            }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            var line = ""
            for (column, cell) in row.enumerated() {
                line += column < widths.count ? cell.padding(to: widths[column] + 2) : cell
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
