import Logging
import ServiceLifecycle

/// A chore the gateway repeats while it lives (keeping message partitions ahead, purging old
/// refresh tokens): a service that sleeps `interval`, runs `work`, logs a failure and tries again
/// next time, and ends promptly on graceful shutdown.
public struct PeriodicMaintenance: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    let work: @Sendable () async throws -> Void

    public init(name: String, interval: Duration, logger: Logger, work: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.work = work
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            do {
                try await work()
            } catch {
                logger.error("maintenance failed", metadata: ["task": "\(name)", "error": "\(String(reflecting: error))"])
            }
        }
    }
}
