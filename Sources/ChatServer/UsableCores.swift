import Foundation
import NIOCore

/// CPUs this process may run on. `System.coreCount` counts the machine's; under
/// `taskset` or a container's CPU set that overstates it, and two event loops on one
/// allowed core only add context switches (measured: +6-10 % fan-out throughput when
/// sized to the allowed set; docs/PERFORMANCE.md).
enum UsableCores {
    static var count: Int {
        // `sched_getaffinity` is hidden behind _GNU_SOURCE from Swift; the kernel
        // states the same set in /proc, e.g. "Cpus_allowed_list:\t0-1,4".
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
            let allowed = parse(line.dropFirst("Cpus_allowed_list:".count)),
            allowed > 0
        else { return System.coreCount }
        return min(allowed, System.coreCount)
    }

    /// Counts the CPUs in a list like "0-3,8,10-11".
    static func parse(_ list: Substring) -> Int? {
        var total = 0
        for range in list.trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let bounds = range.split(separator: "-").map { Int($0) }
            switch bounds.count {
            case 1:
                guard bounds[0] != nil else { return nil }
                total += 1
            case 2:
                guard let low = bounds[0], let high = bounds[1], high >= low else { return nil }
                total += high - low + 1
            default:
                return nil
            }
        }
        return total
    }
}
