import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Publishes the PostgreSQL pool's usage as gauges. postgres-nio's `PostgresClient` keeps its pool
/// observer private, so the numbers come from the server's side: every connection of this process
/// carries a unique `application_name`, and `pg_stat_activity` says how many of them are open and
/// how many are running a statement or a transaction. Sampled every `interval`; a short lease
/// between two samples is not seen, so `in_use` is a sampled gauge, not a peak.
public struct DatabasePoolSampler: Service {
    let client: PostgresClient
    let applicationName: String
    let metrics: GatewayMetrics
    let interval: Duration
    let logger: Logger

    public init(
        client: PostgresClient, applicationName: String, poolSize: Int, metrics: GatewayMetrics,
        interval: Duration = .seconds(5), logger: Logger
    ) {
        self.client = client
        self.applicationName = applicationName
        self.metrics = metrics
        self.interval = interval
        self.logger = logger
        metrics.databasePoolSize.set(Int64(poolSize))
    }

    /// A name no other process shares (two containers may both be pid 1), within PostgreSQL's 63
    /// bytes; the host name stays readable for operators looking at pg_stat_activity.
    public static func uniqueApplicationName(host: String = ProcessInfo.processInfo.hostName) -> String {
        let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
        return "gateway \(host.prefix(40)) \(suffix)"
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await sample()
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: interval)
            }
        }
    }

    /// One sample. The sampling connection itself is open but not counted as in use.
    func sample() async {
        do {
            let rows = try await client.query(
                """
                SELECT count(*)::int8,
                       (count(*) FILTER (WHERE state IS DISTINCT FROM 'idle' AND pid <> pg_backend_pid()))::int8
                FROM pg_stat_activity WHERE application_name = \(applicationName)
                """,
                logger: logger)
            for try await (open, inUse) in rows.decode((Int64, Int64).self) {
                metrics.databasePoolConnectionsOpen.set(open)
                metrics.databasePoolConnectionsInUse.set(inUse)
            }
        } catch {
            // A database that does not answer shows up in /health/ready and the error counters; the
            // gauges keep their last value rather than pretending the pool is empty.
            logger.debug("database pool sample failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
