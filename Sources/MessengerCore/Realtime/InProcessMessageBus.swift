import Synchronization

/// The bus of a single-node gateway (no REDIS_URL): events go straight to this process's
/// subscribers, on the publisher's task.
public final class InProcessMessageBus: MessageBus {
    private struct Subscriber {
        let id: UInt64
        let deliver: @Sendable (String) -> Void
    }
    private struct State {
        var nextID: UInt64 = 0
        var subscribers: [Int64: [Subscriber]] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public func publish(chatID: Int64, payload: String) async throws {
        let subscribers = state.withLock { $0.subscribers[chatID] ?? [] }
        for subscriber in subscribers {
            subscriber.deliver(payload)
        }
    }

    public func subscribe(chatID: Int64, deliver: @escaping @Sendable (String) -> Void) async -> BusSubscription {
        let id = state.withLock { state in
            state.nextID += 1
            state.subscribers[chatID, default: []].append(Subscriber(id: state.nextID, deliver: deliver))
            return state.nextID
        }
        return BusSubscription { [weak self] in
            self?.state.withLock { state in
                state.subscribers[chatID]?.removeAll { $0.id == id }
                if state.subscribers[chatID]?.isEmpty == true { state.subscribers[chatID] = nil }
            }
        }
    }

    /// Chats with at least one subscriber on this node (for tests and metrics).
    public var subscribedChatCount: Int { state.withLock { $0.subscribers.count } }
}
