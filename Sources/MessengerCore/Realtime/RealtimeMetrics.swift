import Prometheus

/// Metric families of the WebSocket layer beyond the two of jwt-api.md §6.2, in the process's one
/// registry (created once: the registry refuses a family twice).
public final class RealtimeMetrics: Sendable {
    public static let shared = RealtimeMetrics(registry: GatewayMetrics.shared.registry)

    /// Sockets closed with 4008 because their send queue overflowed.
    public let slowConsumerCloses: Counter
    /// Stored messages sent to resuming sockets.
    public let replayedMessages: Counter
    /// From an event's publish (on any node) to its arrival on this node's Redis subscriber.
    public let busDeliveryLag: DurationHistogram
    /// Missed messages sent to live subscriptions after the bus resubscribed their chat.
    public let caughtUpMessages: Counter

    static let lagBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]

    init(registry: PrometheusCollectorRegistry) {
        slowConsumerCloses = registry.makeCounter(
            descriptor: .family("messenger_ws_slow_consumer_closes_total", "WebSocket connections closed because they fell behind"))
        replayedMessages = registry.makeCounter(
            descriptor: .family("messenger_ws_replayed_messages_total", "Stored messages replayed to resuming WebSocket subscriptions"))
        busDeliveryLag = registry.makeDurationHistogram(
            descriptor: .family("messenger_bus_delivery_lag_seconds", "Time from publishing an event to its arrival at this node through Redis"),
            buckets: Self.lagBuckets)
        caughtUpMessages = registry.makeCounter(
            descriptor: .family("messenger_ws_caught_up_messages_total", "Stored messages sent to live subscriptions after a Redis reconnection"))
    }
}
