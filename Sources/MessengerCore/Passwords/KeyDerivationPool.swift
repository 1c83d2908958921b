#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import Synchronization

/// A fixed set of threads reserved for password key derivation.
///
/// Each derivation blocks a thread for ~0.1 s (release) by design. Running them here instead of
/// on an event loop or the cooperative pool keeps request handling responsive, and the thread
/// count caps how many run at once, so a login burst queues rather than starving everything else.
/// The default leaves one core to request handling: with as many threads as cores, a login burst
/// was measured to cut the other endpoints' throughput by a third on two cores. The threads also
/// run at a lower scheduling priority (`niceness`), so on a busy machine the kernel gives request
/// handling the CPU first and logins wait: they are slow by design, the rest of the API is not.
public final class KeyDerivationPool: Sendable {
    /// Added to the threads' nice value (Linux; 0 to 19, higher is lower priority).
    public static let niceness: Int32 = 10

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
                Self.lowerThisThreadsPriority()
                return try work()
            }
        } onCancel: {
            cancelled.set()
        }
    }
}

extension KeyDerivationPool {
    /// On Linux the nice value belongs to each thread, and `setpriority(PRIO_PROCESS, 0, …)`
    /// changes only the calling one (the kernel resolves `who == 0` to the current task).
    /// Lowering one's own priority needs no privilege; repeating it is a no-op.
    static func lowerThisThreadsPriority() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        #endif
    }
}

/// Set once, read from another thread.
private final class CancellationFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
