import NIOCore
import NIOPosix

/// Runs a task's code on a NIO event loop thread instead of on Swift's global pool.
///
/// The stores' calls are async, so logins and look-ups go through tasks. The global
/// pool has one thread per core, and anything in the process that blocks those threads
/// (a synchronous read inside a task, say) would stall every login until it let go;
/// with this preference a task needs nothing from that pool. Only the glue between
/// awaits runs on the loop: the store's work runs on the store's own threads and
/// Argon2id on the hashing pool.
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: EventLoop

    init(_ eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    /// An executor on one of NIO's shared loops. Not the caller's loop: a test's
    /// channel loop runs jobs only when the test drives it, and the tasks must not
    /// wait for that.
    static func shared() -> EventLoopTaskExecutor {
        EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

extension EventLoop {
    /// NIO's `makeFutureWithTask`, with the task's code on NIO's threads (see
    /// `EventLoopTaskExecutor`); the future completes on this loop.
    ///
    /// Called on this loop's own thread (a session asking for a login check), the task's
    /// glue runs on this loop too: a login then crosses threads only to the store and to
    /// the hashing pool and back, instead of also to and from a shared loop (two
    /// futex wake-ups and context switches fewer per login). Elsewhere, e.g. on a test's
    /// `EmbeddedEventLoop`, which runs nothing until the test drives it, it uses a shared
    /// loop.
    func makeFutureWithNIOTask<Value: Sendable>(
        _ body: @escaping @Sendable () async throws -> Value
    ) -> EventLoopFuture<Value> {
        let promise = makePromise(of: Value.self)
        let executor =
            MultiThreadedEventLoopGroup.currentEventLoop.map { $0 === self } == true
            ? EventLoopTaskExecutor(self) : EventLoopTaskExecutor.shared()
        Task(executorPreference: executor) {
            do {
                promise.succeed(try await body())
            } catch {
                promise.fail(error)
            }
        }
        return promise.futureResult
    }
}
