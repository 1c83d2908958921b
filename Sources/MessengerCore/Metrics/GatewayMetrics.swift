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
            name: "messenger_ws_connections_active", help: "Active WebSocket connections")
        webSocketConnectionsTotal = registry.makeCounter(
            name: "messenger_ws_connections_total", help: "Total WebSocket connections opened")
        messagesSent = registry.makeCounter(
            name: "messenger_messages_sent_total", help: "Messages stored and published, through any API")
        redisPublishFailures = registry.makeCounter(
            name: "messenger_redis_publish_failures_total", help: "Message events that could not be published to Redis")
        rateLimited = registry.makeCounter(
            name: "messenger_rate_limited_total", help: "Requests refused by a rate limit")
    }

    /// Counts one completed HTTP request. `path` must be a route template or `unmatched`, never a raw
    /// path, so the label set stays bounded (D-12).
    public func recordHTTPRequest(method: String, path: String, status: Int, duration: Duration) {
        let counter = requestCounters.withLock { counters in
            let key = RequestKey(method: method, path: path, status: status)
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                name: "messenger_http_requests_total",
                labels: [("method", method), ("path", path), ("status", String(status))],
                help: "Total HTTP requests")
            counters[key] = counter
            return counter
        }
        counter.increment()
        let histogram = latencyHistograms.withLock { histograms in
            let key = RouteKey(method: method, path: path)
            if let histogram = histograms[key] { return histogram }
            let histogram = registry.makeDurationHistogram(
                name: "messenger_http_request_duration_seconds",
                labels: [("method", method), ("path", path)],
                buckets: Self.latencyBuckets,
                help: "HTTP request latency")
            histograms[key] = histogram
            return histogram
        }
        histogram.record(duration)
    }

    /// Counts a failed call to a dependency (`database`, `redis`, `object_store`).
    public func recordDependencyError(_ dependency: String) {
        let counter = dependencyErrorCounters.withLock { counters in
            if let counter = counters[dependency] { return counter }
            let counter = registry.makeCounter(
                name: "messenger_dependency_errors_total", labels: [("dependency", dependency)],
                help: "Failed calls to PostgreSQL, Redis or the object store")
            counters[dependency] = counter
            return counter
        }
        counter.increment()
    }

    /// The exposition text in the layout of jwt-api.md §6.2.
    public func exposition() -> String {
        PrometheusTextLayout.apply(to: registry.emitToString())
    }
}
