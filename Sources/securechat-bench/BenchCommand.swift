import ArgumentParser

/// `securechat-bench`: the load generator behind `Scripts/bench`. Each subcommand runs
/// one scenario against a running securechat server on loopback and reports per
/// server CPU-second (with `--server-pid`), as a table and optionally as JSON.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "securechat-bench",
        abstract: "Load generator for securechat: fan-out, idle, handshake and login scenarios.",
        discussion: """
            Connects over TLS with the project's own OpenSSL client context, verifying the \
            server against --ca. Loopback addresses only. With --server-pid, reads the \
            server's CPU time and RSS from /proc and reports work per server CPU-second. \
            --json PATH appends the result to PATH (created if missing); `report PATH` \
            prints every result in it with the issue's targets.
            """,
        subcommands: [
            Fanout.self, Idle.self, Handshake.self, Login.self, Storm.self, History.self, Store.self, CatchUp.self, Report.self,
            FloorServer.self,
        ]
    )
}
