import NIOCore
import NIOConcurrencyHelpers

/// Every open connection, logged in or not: enforces the global and per-address
/// connection caps, and lets shutdown close the connections still open when its grace
/// period ends. (`ServerQuiescingHelper` tells each connection to finish, but keeps its
/// own list private and sets no deadline.)
final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: Channel] = [:]
        var perAddress: [String: Int] = [:]
        /// SIGHUP may change the caps (`update(maxConnections:maxPerAddress:)`); a
        /// lower cap refuses new connections and closes none.
        var maxConnections: Int
        var maxPerAddress: Int
    }

    enum Admission: Equatable {
        case admitted
        case tooManyConnections
        case tooManyFromAddress
    }

    private let state: NIOLockedValueBox<State>

    init(maxConnections: Int, maxPerAddress: Int) {
        self.state = NIOLockedValueBox(State(maxConnections: maxConnections, maxPerAddress: maxPerAddress))
    }

    func update(maxConnections: Int, maxPerAddress: Int) {
        state.withLockedValue {
            $0.maxConnections = maxConnections
            $0.maxPerAddress = maxPerAddress
        }
    }

    var count: Int {
        state.withLockedValue { $0.channels.count }
    }

    /// Counts `channel` in if the caps allow; it is counted out when it closes.
    func admit(_ channel: Channel) -> Admission {
        let key = ObjectIdentifier(channel)
        let address = channel.remoteAddress?.ipAddress ?? "unknown"
        let admission = state.withLockedValue { state -> Admission in
            if state.channels.count >= state.maxConnections { return .tooManyConnections }
            if state.perAddress[address, default: 0] >= state.maxPerAddress { return .tooManyFromAddress }
            state.channels[key] = channel
            state.perAddress[address, default: 0] += 1
            return .admitted
        }
        guard admission == .admitted else { return admission }
        channel.closeFuture.whenComplete { [self] _ in
            state.withLockedValue { state in
                state.channels[key] = nil
                let remaining = state.perAddress[address, default: 1] - 1
                state.perAddress[address] = remaining > 0 ? remaining : nil
            }
        }
        return .admitted
    }

    /// The connections open now.
    func all() -> [Channel] {
        state.withLockedValue { Array($0.channels.values) }
    }
}
