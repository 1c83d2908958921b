import NIOCore
import NIOPosix
import Synchronization

/// A fixed set of threads reserved for password key derivation.
///
/// Each derivation blocks a thread for ~0.1 s (release) by design. Running them here instead of
/// on an event loop or the cooperative pool keeps request handling responsive, and the thread
/// count caps how many run at once, so a login burst queues rather than starving everything else.
/// The default leaves one core to request handling: with as many threads as cores, a login burst
/// was measured to cut the other endpoints' throughput by a third on two cores.
public final class KeyDerivationPool: Sendable {
    private let threadPool: NIOThreadPool

    /// Starts the threads at once; call ``shutdown()`` before the pool is released.
    public init(numberOfThreads: Int = max(1, System.coreCount - 1)) {
        threadPool = NIOThreadPool(numberOfThreads: max(1, numberOfThreads))
        threadPool.start()
    }

    /// Waits for queued work to finish, then stops the threads. Later submissions throw.
    public func shutdown() async throws {
        try await threadPool.shutdownGracefully()
    }

    /// Runs `work` on a pool thread. Work still queued when the caller's task is cancelled (the
    /// client went away) is skipped instead of burning a core on a login nobody waits for.
    func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        let cancelled = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await threadPool.runIfActive {
                if cancelled.isSet { throw CancellationError() }
                return try work()
            }
        } onCancel: {
            cancelled.set()
        }
    }
}

/// Set once, read from another thread.
private final class CancellationFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
