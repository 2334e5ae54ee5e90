/// One scenario's measured figures and how they compare with issue 5's targets, as
/// printed and as written to `--json`.
struct BenchResult: Codable, Sendable {
    struct Figure: Codable, Sendable {
        var name: String
        var value: Double
        var unit: String
    }

    /// A target from the issue, the figure it applies to, and the C servers' bar.
    struct TargetCheck: Codable, Sendable {
        var figure: String
        var target: String
        var measured: Double
        var unit: String
        var met: Bool
        /// What mosquitto / InspIRCd / ngIRCd measured on the same machine.
        var bar: String
        /// False when this run's parameters are smaller than the scenario
        /// (e.g. `Scripts/bench --quick`): indicative only.
        var comparable: Bool
    }

    var scenario: String
    var summary: String
    var figures: [Figure] = []
    var targets: [TargetCheck] = []
    var failures = 0
    var failureExamples: [String] = []
    var notes: [String] = []

    mutating func add(_ name: String, _ value: Double?, _ unit: String = "") {
        guard let value, value.isFinite else { return }
        figures.append(Figure(name: name, value: value, unit: unit))
    }

    mutating func check(_ figure: String, _ measured: Double?, _ unit: String, target: String, met: (Double) -> Bool, bar: String, comparable: Bool) {
        guard let measured, measured.isFinite else {
            notes.append("\(figure): not measured (no --server-pid?)")
            return
        }
        targets.append(TargetCheck(figure: figure, target: target, measured: measured, unit: unit, met: met(measured), bar: bar, comparable: comparable))
    }

    mutating func record(_ failures: FailureLog) {
        self.failures = failures.count
        failureExamples = failures.examples
    }
}

/// What `--json` holds: where it was measured and every result, in run order.
struct BenchDocument: Codable, Sendable {
    var machine: MachineInfo
    var results: [BenchResult]
}

struct MachineInfo: Codable, Sendable {
    var cpuModel: String
    var onlineCores: Int
    var kernel: String
    var serverAffinity: String?
    var generatorAffinity: String?
}
