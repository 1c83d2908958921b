import Logging
import PostgresNIO
import ServiceLifecycle

/// Keeps monthly `messages` partitions ready: the current month and `monthsAhead` more, checked at
/// start and then periodically, so an insert never finds its month missing.
public struct MessagePartitionMaintenance: Service {
    public static let monthsAhead = 3

    let client: PostgresClient
    let interval: Duration
    let logger: Logger

    public init(client: PostgresClient, interval: Duration = .seconds(6 * 3600), logger: Logger) {
        self.client = client
        self.interval = interval
        self.logger = logger
    }

    /// Creates any missing partition from this month through `monthsAhead` months ahead.
    public static func ensureUpcomingPartitions(client: PostgresClient, logger: Logger) async throws -> Int {
        let count = monthsAhead + 1
        let rows = try await client.query(
            "SELECT ensure_message_partitions((now() AT TIME ZONE 'UTC')::date, \(Int32(count)))", logger: logger)
        for try await created in rows.decode(Int.self) {
            return created
        }
        return 0
    }

    /// Startup already ensured the partitions (after the schema migrations); this loop keeps them
    /// ahead while the process lives.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await gracefulShutdownAwareSleep(interval)
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            do {
                let created = try await Self.ensureUpcomingPartitions(client: client, logger: logger)
                if created > 0 {
                    logger.info("created message partitions", metadata: ["count": "\(created)"])
                }
            } catch {
                logger.error("message partition maintenance failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    private func gracefulShutdownAwareSleep(_ duration: Duration) async throws {
        try await cancelWhenGracefulShutdown {
            try await Task.sleep(for: duration)
        }
    }
}
