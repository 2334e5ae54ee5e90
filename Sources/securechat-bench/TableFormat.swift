/// Plain-text tables for people: one block per result, and a summary of every target.
enum TableFormat {
    static func render(_ result: BenchResult) -> String {
        var lines = ["== \(result.scenario): \(result.summary)"]
        let width = result.figures.map(\.name.count).max() ?? 0
        for figure in result.figures {
            lines.append("  \(pad(figure.name, width))  \(number(figure.value)) \(figure.unit)".trimmingTrailingSpaces())
        }
        for check in result.targets {
            let verdict = check.met ? "met" : "NOT MET"
            let scope = check.comparable ? "" : " (smaller run than the issue's; indicative)"
            lines.append(
                "  target \(check.figure) \(check.target): \(number(check.measured))\(check.unit.isEmpty ? "" : " " + check.unit) → \(verdict)\(scope)")
        }
        if result.failures > 0 {
            lines.append("  FAILURES: \(result.failures)")
            lines.append(contentsOf: result.failureExamples.map { "    \($0)" })
        }
        lines.append(contentsOf: result.notes.map { "  note: \($0)" })
        return lines.joined(separator: "\n")
    }

    /// Every target of every result, one row each.
    static func summary(_ document: BenchDocument) -> String {
        var rows: [[String]] = [["scenario", "figure", "measured", "target", "verdict", "C servers (issue 5)"]]
        for result in document.results {
            for check in result.targets {
                let measured = number(check.measured) + (check.unit.isEmpty ? "" : " " + check.unit)
                let verdict = (check.met ? "met" : "NOT MET") + (check.comparable ? "" : " (small run)")
                rows.append([result.scenario, check.figure, measured, check.target, verdict, check.bar])
            }
        }
        let machine = document.machine
        var lines = [
            "machine: \(machine.cpuModel), \(machine.onlineCores) cores, Linux \(machine.kernel)"
                + (machine.serverAffinity.map { "; server on CPU \($0)" } ?? "")
                + (machine.generatorAffinity.map { ", generator on CPU \($0)" } ?? "")
        ]
        lines.append(contentsOf: table(rows))
        return lines.joined(separator: "\n")
    }

    static func table(_ rows: [[String]]) -> [String] {
        guard let header = rows.first else { return [] }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        var lines: [String] = []
        for (index, row) in rows.enumerated() {
            lines.append(row.enumerated().map { pad($0.element, widths[$0.offset]) }.joined(separator: " | ").trimmingTrailingSpaces())
            if index == 0 {
                lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "-|-"))
            }
        }
        return lines
    }

    /// Thousands separators; counts without decimals, other small values with three
    /// significant digits.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        let magnitude = abs(value)
        let isWhole = value == value.rounded()
        let decimals = isWhole || magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3
        var scaled = (magnitude * pow10(decimals)).rounded()
        if scaled == 0 { return "0" }
        let unit = pow10(decimals)
        let whole = (scaled / unit).rounded(.towardZero)
        scaled -= whole * unit
        var digits = String(Int(whole))
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        grouped = digits + grouped
        if decimals > 0 {
            let fraction = String(Int(scaled))
            grouped += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return (value < 0 ? "-" : "") + grouped
    }

    private static func pow10(_ exponent: Int) -> Double {
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
