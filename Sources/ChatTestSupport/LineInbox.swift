import NIOCore
import NIOConcurrencyHelpers

/// Lines received by a test client, waited for one at a time with a deadline.
final class LineInbox: Sendable {
    struct Timeout: Error, CustomStringConvertible {
        let description = "timed out waiting for a line"
    }

    private struct State {
        var lines: [String] = []
        var head = 0
        var finished: Error?? = nil  // .some(nil): clean EOF; .some(error): failure
        var waiter: (id: Int, continuation: CheckedContinuation<String?, Error>)?
        var nextWaiterID = 0
    }

    private let state = NIOLockedValueBox(State())

    func push(_ line: String) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<String?, Error>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter.continuation
            }
            state.lines.append(line)
            return nil
        }
        waiter?.resume(returning: line)
    }

    func finish(_ error: Error? = nil) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<String?, Error>? in
            if state.finished == nil { state.finished = .some(error) }
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    /// The next line, or nil once the connection has closed and every line was read.
    func next(timeout: TimeAmount, on eventLoop: EventLoop) async throws -> String? {
        try await withCheckedThrowingContinuation { continuation in
            let registered = state.withLockedValue { state -> Int? in
                if state.head < state.lines.count {
                    let line = state.lines[state.head]
                    state.head += 1
                    continuation.resume(returning: line)
                    return nil
                }
                if let finished = state.finished {
                    if let error = finished { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
                    return nil
                }
                state.nextWaiterID += 1
                state.waiter = (state.nextWaiterID, continuation)
                return state.nextWaiterID
            }
            guard let id = registered else { return }
            eventLoop.scheduleTask(in: timeout) { [self] in
                let expired = state.withLockedValue { state -> CheckedContinuation<String?, Error>? in
                    guard let waiter = state.waiter, waiter.id == id else { return nil }
                    state.waiter = nil
                    return waiter.continuation
                }
                expired?.resume(throwing: Timeout())
            }
        }
    }
}
