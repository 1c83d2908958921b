import Logging
import PostgresNIO

/// Keeps monthly `messages` partitions ready: the current month and `monthsAhead` more, ensured at
/// startup and then periodically, so an insert never finds its month missing.
public enum MessagePartitionMaintenance {
    public static let monthsAhead = 3

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

    /// Startup already ensured the partitions (after the schema migrations); this keeps them
    /// ahead while the process lives.
    public static func service(client: PostgresClient, interval: Duration = .seconds(6 * 3600), logger: Logger) -> PeriodicMaintenance {
        PeriodicMaintenance(name: "message partitions", interval: interval, logger: logger) {
            let created = try await ensureUpcomingPartitions(client: client, logger: logger)
            if created > 0 {
                logger.info("created message partitions", metadata: ["count": "\(created)"])
            }
        }
    }
}
