import ArgumentParser
import ChatTLS
import NIOCore
import NIOPosix

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where the server is, who to log in as, and where results go; shared by every
/// scenario.
struct CommonOptions: ParsableArguments {
    @Option(help: "Server address: loopback only (127.0.0.0/8, ::1 or localhost).")
    var host = "127.0.0.1"

    @Option(help: "Server port.")
    var port = 7443

    @Option(help: "PEM CA bundle the server's certificate must chain to.")
    var ca = "certs/ca.pem"

    @Option(help: "Name the server's certificate must carry (default: --host).")
    var serverName: String?

    @Option(help: "The server's process id: enables per-CPU-second figures and RSS.")
    var serverPid: Int32?

    @Option(help: "Account names are this prefix plus a 4-digit number.")
    var userPrefix = "bench"

    @Option(help: "Number of bench accounts (connection i logs in as account i mod this).")
    var users = 100

    @Option(help: "Password of every bench account.")
    var password = "bench-password"

    @Option(help: "Append the result to this JSON file (created if missing).")
    var json: String?

    func validate() throws {
        guard port > 0, port < 65536 else { throw ValidationError("--port must be 1-65535") }
        guard users > 0, users <= 10_000 else { throw ValidationError("--users must be 1-10000") }
        _ = try loopbackAddress()
    }

    /// The server's address, refusing anything that is not this machine's loopback:
    /// a load generator must never be pointed at somebody else.
    func loopbackAddress() throws -> SocketAddress {
        let numeric = host == "localhost" ? "127.0.0.1" : host
        guard let address = try? SocketAddress(ipAddress: numeric, port: port) else {
            throw ValidationError("--host must be a numeric loopback address or localhost, not '\(host)'")
        }
        let isLoopback: Bool
        switch address {
        case .v4:
            isLoopback = numeric.hasPrefix("127.")
        case .v6:
            isLoopback = address.ipAddress == "::1"
        case .unixDomainSocket:
            isLoopback = false
        }
        guard isLoopback else {
            throw ValidationError("refusing \(host): securechat-bench only targets loopback addresses")
        }
        return address
    }

    func makeTarget() throws -> BenchTarget {
        let tls: TLSContext
        do {
            tls = try TLSContext.client(trustRootsPath: ca)
        } catch let error as TLSError {
            throw ValidationError("cannot load --ca \(ca): \(error)")
        }
        return BenchTarget(address: try loopbackAddress(), serverName: serverName ?? (host == "localhost" ? "localhost" : host), tls: tls)
    }

    var accounts: BenchAccounts {
        BenchAccounts(prefix: userPrefix, count: users, password: password)
    }

    var probe: ServerProbe? {
        serverPid.map(ServerProbe.init(pid:))
    }

    /// Runs `body` on a one-thread event loop (the generator is meant to be pinned to
    /// one core, where more threads only add switches).
    func withEventLoop<T: Sendable>(_ body: (any EventLoop) async throws -> T) async throws -> T {
        if let probe {
            _ = try probe.sample()  // a wrong --server-pid fails now, not after setup
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let value = try await body(group.next())
            try await group.shutdownGracefully()
            return value
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Prints the result and, with `--json`, appends it to the file.
    func report(_ result: BenchResult) throws {
        print(TableFormat.render(result))
        guard let json else { return }
        let url = URL(fileURLWithPath: json)
        var document: BenchDocument
        if let data = try? Data(contentsOf: url), !data.isEmpty {
            do {
                document = try JSONDecoder().decode(BenchDocument.self, from: data)
            } catch {
                throw ValidationError("\(json) exists but is not a securechat-bench result file: \(error)")
            }
        } else {
            document = BenchDocument(machine: MachineInfo.current(serverPid: serverPid), results: [])
        }
        document.results.append(result)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(document).write(to: url)
    }
}

extension MachineInfo {
    static func current(serverPid: Int32?) -> MachineInfo {
        let cpuinfo = (try? String(decoding: Data(contentsOf: URL(fileURLWithPath: "/proc/cpuinfo")), as: UTF8.self)) ?? ""
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { trimmed($0.split(separator: ":", maxSplits: 1).last ?? "") } ?? "unknown CPU"
        let kernel =
            (try? String(decoding: Data(contentsOf: URL(fileURLWithPath: "/proc/sys/kernel/osrelease")), as: UTF8.self))
            .map { trimmed($0[...]) } ?? "unknown"
        return MachineInfo(
            cpuModel: model,
            onlineCores: ProcessInfo.processInfo.activeProcessorCount,
            kernel: kernel,
            serverAffinity: serverPid.flatMap { allowedCPUs("/proc/\($0)/status") },
            generatorAffinity: allowedCPUs("/proc/self/status")
        )
    }

    private static func allowedCPUs(_ statusPath: String) -> String? {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: statusPath)) else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix("Cpus_allowed_list:") }
            .map { trimmed($0.dropFirst("Cpus_allowed_list:".count)) }
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
