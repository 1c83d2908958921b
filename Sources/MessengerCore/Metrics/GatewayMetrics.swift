import Prometheus
import Synchronization

/// The process's metric families (jwt-api.md §6.2 plus the gateway's own). Created once per process
/// and shared: the Prometheus registry refuses two families with one name.
public final class GatewayMetrics: Sendable {
    public static let shared = GatewayMetrics(registry: PrometheusCollectorRegistry())

    public static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public let registry: PrometheusCollectorRegistry
    public let webSocketConnectionsActive: Gauge
    public let webSocketConnectionsTotal: Counter
    public let messagesSent: Counter
    public let redisPublishFailures: Counter
    public let rateLimited: Counter
    /// `DB_POOL_SIZE`, and the pool's connections as `DatabasePoolSampler` last saw them.
    public let databasePoolSize: Gauge
    public let databasePoolConnectionsOpen: Gauge
    public let databasePoolConnectionsInUse: Gauge

    private struct RequestKey: Hashable {
        let method: String
        let path: String
        let status: Int
    }
    private struct RouteKey: Hashable {
        let method: String
        let path: String
    }
    private let requestCounters = Mutex<[RequestKey: Counter]>([:])
    private let latencyHistograms = Mutex<[RouteKey: DurationHistogram]>([:])
    private let dependencyErrorCounters = Mutex<[String: Counter]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        webSocketConnectionsActive = registry.makeGauge(
            descriptor: .family("messenger_ws_connections_active", "Active WebSocket connections"))
        webSocketConnectionsTotal = registry.makeCounter(
            descriptor: .family("messenger_ws_connections_total", "Total WebSocket connections opened"))
        messagesSent = registry.makeCounter(
            descriptor: .family("messenger_messages_sent_total", "Messages stored and published, through any API"))
        redisPublishFailures = registry.makeCounter(
            descriptor: .family("messenger_redis_publish_failures_total", "Message events that could not be published to Redis"))
        rateLimited = registry.makeCounter(
            descriptor: .family("messenger_rate_limited_total", "Requests refused by a rate limit"))
        databasePoolSize = registry.makeGauge(
            descriptor: .family("messenger_db_pool_size", "Maximum connections of this process's PostgreSQL pool (DB_POOL_SIZE)"))
        databasePoolConnectionsOpen = registry.makeGauge(
            descriptor: .family("messenger_db_pool_connections_open", "PostgreSQL connections this process has open, sampled from pg_stat_activity"))
        databasePoolConnectionsInUse = registry.makeGauge(
            descriptor: .family(
                "messenger_db_pool_connections_in_use", "PostgreSQL connections of this process running a statement or transaction, sampled from pg_stat_activity"))
        // Every dependency's series exists from the start at 0, so rate() and alerts see a
        // dependency that has never failed, not a missing series.
        for dependency in MonitoredDependency.allCases {
            recordDependencyError(dependency.rawValue, count: 0)
        }
    }

    /// Counts one completed HTTP request. `path` must be a route template or `unmatched`, never a raw
    /// path, so the label set stays bounded (D-12).
    public func recordHTTPRequest(method: String, path: String, status: Int, duration: Duration) {
        let counter = requestCounters.withLock { counters in
            let key = RequestKey(method: method, path: path, status: status)
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: .family("messenger_http_requests_total", "Total HTTP requests"), labels: [("method", method), ("path", path), ("status", String(status))])
            counters[key] = counter
            return counter
        }
        counter.increment()
        let histogram = latencyHistograms.withLock { histograms in
            let key = RouteKey(method: method, path: path)
            if let histogram = histograms[key] { return histogram }
            let histogram = registry.makeDurationHistogram(
                descriptor: .family("messenger_http_request_duration_seconds", "HTTP request latency"), labels: [("method", method), ("path", path)], buckets: Self.latencyBuckets)
            histograms[key] = histogram
            return histogram
        }
        histogram.record(duration)
    }

    /// Counts a failed call to a dependency (`database`, `redis`, `object_store`).
    public func recordDependencyError(_ dependency: String, count: Int = 1) {
        let counter = dependencyErrorCounters.withLock { counters in
            if let counter = counters[dependency] { return counter }
            let counter = registry.makeCounter(
                descriptor: .family("messenger_dependency_errors_total", "Failed calls to PostgreSQL, Redis or the object store"), labels: [("dependency", dependency)])
            counters[dependency] = counter
            return counter
        }
        counter.increment(by: Int64(count))
    }

    /// Counts `error` when it is a dependency's failure (see `MonitoredDependency`); other errors
    /// are not counted.
    public func recordFailure(_ error: any Error) {
        if let dependency = MonitoredDependency(failureOf: error) {
            recordDependencyError(dependency.rawValue)
        }
    }

    /// The exposition text in the layout of jwt-api.md §6.2.
    public func exposition() -> String {
        PrometheusTextLayout.apply(to: registry.emitToString())
    }
}

extension MetricNameDescriptor {
    /// A family named in full (the contract fixes the names, `messenger_` prefix included).
    static func family(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
