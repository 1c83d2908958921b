import Synchronization

/// One subscriber's registration on a `MessageBus`. A callback instead of a stream: a stream
/// needs a task reading it for as long as the subscription lives, and an idle WebSocket would
/// keep that task's memory (docs/websocket.md, "Memory per connection").
public final class BusSubscription: Sendable {
    private let onCancel: Mutex<(@Sendable () -> Void)?>

    init(onCancel: @escaping @Sendable () -> Void) {
        self.onCancel = Mutex(onCancel)
    }

    /// Stops the deliveries (one already under way may still arrive). Only the first call acts.
    public func cancel() {
        let action = onCancel.withLock { action -> (@Sendable () -> Void)? in
            defer { action = nil }
            return action
        }
        action?()
    }
}
