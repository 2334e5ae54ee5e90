import NIOCore
import Synchronization

/// How this client reaches its server, kept for connecting again: the options, the
/// config directory and the event loop group, and where connection events go.
///
/// Each connection's events reach the runner's stream only while that connection
/// is the current one: a connection given up (a failed reconnect attempt, the one
/// that dropped) is retired before it is closed, so its late `closed` can never be
/// taken for the next connection's.
final class ServerLink: Sendable {
    let options: ClientOptions
    let config: ConfigDirectory
    let group: any EventLoopGroup
    /// The runner's event stream.
    let continuation: AsyncStream<ClientEvent>.Continuation
    private let generation = Atomic<Int>(0)

    init(options: ClientOptions, config: ConfigDirectory, group: any EventLoopGroup, continuation: AsyncStream<ClientEvent>.Continuation) {
        self.options = options
        self.config = config
        self.group = group
        self.continuation = continuation
    }

    /// Connects and checks the server's certificate (``ServerTrust``); the
    /// connection's events go to the runner's stream until ``retire()``.
    func connect() async throws(ClientFailure) -> ServerTrust.Connected {
        let mine = generation.load(ordering: .acquiring)
        return try await ServerTrust.connect(options: options, config: config, group: group) { [self] event in
            guard generation.load(ordering: .acquiring) == mine else { return }
            continuation.yield(.connection(event))
        }
    }

    /// Events of every connection made so far are dropped from now on.
    func retire() {
        generation.add(1, ordering: .releasing)
    }

    /// Starts ``connect()`` in a task of its own and reports the outcome as
    /// ``ClientEvent/connectAttempt(_:_:)``, so the runner keeps reading keys
    /// meanwhile.
    func startConnecting(attempt: Int) {
        let continuation = self.continuation
        Task {
            do throws(ClientFailure) {
                continuation.yield(.connectAttempt(attempt, .success(try await self.connect())))
            } catch {
                continuation.yield(.connectAttempt(attempt, .failure(error)))
            }
        }
    }

    /// Yields `.deadline(name)` after `delay`.
    func deadline(_ name: String, after delay: Duration) -> Task<Void, any Error> {
        let continuation = self.continuation
        return Task {
            try await Task.sleep(for: delay)
            continuation.yield(.deadline(name))
        }
    }
}
