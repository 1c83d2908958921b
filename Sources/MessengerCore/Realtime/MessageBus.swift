/// Carries events between the code that stores a message and every open WebSocket, on this node
/// (in-process) or across nodes (Redis `PUBLISH chat:{id}`).
public protocol MessageBus: Sendable {
    /// Publishes `payload` (a JSON text, jwt-api.md §5.6) on `chat:<chatID>`. Throws when the event
    /// could not be handed over; the message is stored regardless.
    func publish(chatID: Int64, payload: String) async throws
    /// Calls `deliver` with each payload published on `chat:<chatID>` from now on, in publish
    /// order, until the subscription is cancelled. `deliver` runs on the bus's delivery path (the
    /// publisher's task in-process, the Redis subscriber thread): it must hand the payload on
    /// without waiting.
    /// Returns once the subscription is active (for Redis: confirmed by the server), so that an
    /// event published after the return is delivered. Throws when it cannot be made active
    /// (Redis down).
    func subscribe(chatID: Int64, deliver: @escaping @Sendable (String) -> Void) async throws -> BusSubscription
}

extension MessageBus {
    /// The payloads published on `chat:<chatID>` from now on as a stream, until the stream is
    /// dropped; a reader that falls `bufferLimit` events behind loses the oldest.
    public func subscribe(chatID: Int64, bufferLimit: Int = 1024) async throws -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(bufferLimit))
        let subscription = try await subscribe(chatID: chatID) { continuation.yield($0) }
        continuation.onTermination = { _ in subscription.cancel() }
        return stream
    }
}
