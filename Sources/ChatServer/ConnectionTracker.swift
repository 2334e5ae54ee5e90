import NIOCore
import Synchronization

/// Every open connection, logged in or not, so shutdown can say `BYE` to each.
final class ConnectionTracker: Sendable {
    private let channels = Mutex<[ObjectIdentifier: Channel]>([:])

    var count: Int {
        channels.withLock { $0.count }
    }

    func add(_ channel: Channel) {
        let key = ObjectIdentifier(channel)
        channels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = channels.withLock { $0.removeValue(forKey: key) }
        }
    }

    func all() -> [Channel] {
        channels.withLock { Array($0.values) }
    }
}
