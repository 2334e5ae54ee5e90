import Foundation

/// Runs a real program (openssl s_client, the project's executables) with input fed
/// line by line, and collects what it printed. Killed if it outlives `timeout`.
public struct ChildProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let standardOutput: String
        public let standardError: String
        public let timedOut: Bool
    }

    /// An input step: bytes to write, then a pause.
    public struct Input: Sendable {
        public var bytes: [UInt8]
        public var pauseAfter: Duration

        public static func line(_ text: String, pause: Duration = .milliseconds(300)) -> Input {
            Input(bytes: Array((text + "\n").utf8), pauseAfter: pause)
        }

        public static func pause(_ duration: Duration) -> Input {
            Input(bytes: [], pauseAfter: duration)
        }
    }

    public static func run(
        _ executable: String,
        _ arguments: [String],
        input: [Input] = [],
        closeInput: Bool = true,
        environment: [String: String]? = nil,
        currentDirectory: URL? = nil,
        timeout: Duration = .seconds(20)
    ) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr

        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exited.continuation.finish() }
        try process.run()

        // Read both pipes concurrently so a chatty child never blocks on a full pipe.
        let output = Self.readToEnd(stdout.fileHandleForReading)
        let errors = Self.readToEnd(stderr.fileHandleForReading)

        let killer = Task {
            try await Task.sleep(for: timeout)
            if process.isRunning { process.terminate() }
            // Foundation on Linux now and then never reports the exit of a child that
            // ends at once (the whole suite hung for good on a `--print-config` run a
            // few times): at its timeout a run ends, whatever Foundation says.
            exited.continuation.finish()
            return true
        }
        // The same, sooner, when Foundation saw the exit but its handler never ran.
        let watcher = Task {
            while process.isRunning {
                try await Task.sleep(for: .milliseconds(50))
            }
            exited.continuation.finish()
        }
        for step in input where process.isRunning {
            if !step.bytes.isEmpty {
                try? stdin.fileHandleForWriting.write(contentsOf: Data(step.bytes))
            }
            try? await Task.sleep(for: step.pauseAfter)
        }
        if closeInput { try? stdin.fileHandleForWriting.close() }
        for await _ in exited.stream {}
        watcher.cancel()
        let exitSeen = !process.isRunning
        if exitSeen {
            // The child has exited, so this returns at once; it is also what breaks
            // Foundation's Process <-> run-loop-source retain cycle on Linux, which
            // otherwise keeps every Process, its pipes and arguments alive for good
            // (LeakSanitizer reports them at exit). Not called otherwise: it would
            // wait for good.
            process.waitUntilExit()
        }
        killer.cancel()
        let timedOut = (try? await killer.value) ?? false
        return Result(
            // -1: Foundation never saw the exit; the run failed by its timeout.
            status: exitSeen ? process.terminationStatus : -1,
            standardOutput: String(decoding: await output.value, as: UTF8.self),
            standardError: String(decoding: await errors.value, as: UTF8.self),
            timedOut: timedOut
        )
    }

    /// Everything `handle` yields until end of file, read on a thread of its own.
    ///
    /// Not in a task: the read blocks, and Swift's pool has one thread per core. On two
    /// cores the two reads of a child that waits for its input took both, so the task
    /// that was to write that input never ran and the test hung for good (seen about
    /// once in twenty runs of the account tests on a loaded machine).
    private static func readToEnd(_ handle: FileHandle) -> Task<Data, Never> {
        let (stream, continuation) = AsyncStream<Data>.makeStream()
        let thread = Thread {
            continuation.yield(handle.readDataToEndOfFile())
            continuation.finish()
        }
        thread.start()
        return Task {
            var data = Data()
            for await chunk in stream { data.append(chunk) }
            return data
        }
    }
}
