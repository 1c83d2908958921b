import Prometheus

/// Metric families of the WebSocket layer beyond the two of jwt-api.md §6.2, in the process's one
/// registry (created once: the registry refuses a family twice).
public final class RealtimeMetrics: Sendable {
    public static let shared = RealtimeMetrics(registry: GatewayMetrics.shared.registry)

    /// Sockets closed with 4008 because their send queue overflowed.
    public let slowConsumerCloses: Counter
    /// Stored messages sent to resuming sockets.
    public let replayedMessages: Counter

    init(registry: PrometheusCollectorRegistry) {
        slowConsumerCloses = registry.makeCounter(
            descriptor: .family("messenger_ws_slow_consumer_closes_total", "WebSocket connections closed because they fell behind"))
        replayedMessages = registry.makeCounter(
            descriptor: .family("messenger_ws_replayed_messages_total", "Stored messages replayed to resuming WebSocket subscriptions"))
    }
}
