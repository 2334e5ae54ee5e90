#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a running server's CPU time and resident memory from `/proc`.
///
/// CPU time is the figure every result is divided by: on a shared, noisy machine
/// "work per server CPU-second" holds where "work per wall-second" does not.
struct ServerProbe: Sendable {
    struct ReadError: Error, CustomStringConvertible {
        let description: String
    }

    /// A point-in-time reading.
    struct Sample: Sendable {
        /// utime + stime of every thread of the process, in seconds.
        let cpuSeconds: Double
        /// VmRSS in KiB.
        let rssKiB: Int
    }

    let pid: Int32

    /// The generator itself, to tell whether it or the server set the pace.
    static var ownProcess: ServerProbe { ServerProbe(pid: getpid()) }

    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    func sample() throws -> Sample {
        Sample(cpuSeconds: try cpuSeconds(), rssKiB: try rssKiB())
    }

    /// Fields 14 and 15 of `/proc/PID/stat`, in clock ticks. The command name (field
    /// 2) may hold spaces and parentheses, so fields are counted after its last `)`.
    func cpuSeconds() throws -> Double {
        let stat = try Self.contents(of: "/proc/\(pid)/stat")
        guard let close = stat.lastIndex(of: ")") else {
            throw ReadError(description: "unexpected /proc/\(pid)/stat")
        }
        // After ")": field 3 (state) is the first; utime is field 14, stime field 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12]) else {
            throw ReadError(description: "unexpected /proc/\(pid)/stat")
        }
        return (utime + stime) / Self.ticksPerSecond
    }

    func rssKiB() throws -> Int {
        let status = try Self.contents(of: "/proc/\(pid)/status")
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.dropFirst("VmRSS:".count).filter(\.isNumber)
            if let kib = Int(digits) { return kib }
        }
        throw ReadError(description: "no VmRSS in /proc/\(pid)/status")
    }

    /// `/proc` files report size 0, so read until end of file.
    private static func contents(of path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ReadError(description: "cannot open \(path) (is --server-pid right?)")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReadError(description: "cannot read \(path)")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
