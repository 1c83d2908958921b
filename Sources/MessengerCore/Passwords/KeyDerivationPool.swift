import NIOCore
import NIOPosix

/// A fixed set of threads reserved for password key derivation.
///
/// Each derivation blocks a thread for ~0.1 s (release) by design. Running them here instead of
/// on an event loop or the cooperative pool keeps request handling responsive, and the thread
/// count caps how many run at once, so a login burst queues rather than starving everything else.
public final class KeyDerivationPool: Sendable {
    private let threadPool: NIOThreadPool

    /// Starts the threads at once; call ``shutdown()`` before the pool is released.
    public init(numberOfThreads: Int = max(1, System.coreCount)) {
        threadPool = NIOThreadPool(numberOfThreads: max(1, numberOfThreads))
        threadPool.start()
    }

    /// Waits for queued work to finish, then stops the threads. Later submissions throw.
    public func shutdown() async throws {
        try await threadPool.shutdownGracefully()
    }

    func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await threadPool.runIfActive(work)
    }
}
