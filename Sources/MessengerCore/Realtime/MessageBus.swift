/// Carries events between the code that stores a message and every open WebSocket, on this node
/// (in-process) or across nodes (Redis `PUBLISH chat:{id}`).
public protocol MessageBus: Sendable {
    /// Publishes `payload` (a JSON text, jwt-api.md §5.6) on `chat:<chatID>`. Throws when the event
    /// could not be handed over; the message is stored regardless.
    func publish(chatID: Int64, payload: String) async throws
    /// A stream of the payloads published on `chat:<chatID>` from now on, until the stream is
    /// dropped.
    /// Returns once the subscription is active (for Redis: confirmed by the server), so that an
    /// event published after the return reaches the stream. Throws when it cannot be made active
    /// (Redis down).
    func subscribe(chatID: Int64) async throws -> AsyncStream<String>
}
