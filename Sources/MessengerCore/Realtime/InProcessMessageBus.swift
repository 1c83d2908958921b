import Synchronization

/// The bus of a single-node gateway (no REDIS_URL): events go straight to this process's
/// subscribers.
public final class InProcessMessageBus: MessageBus {
    private struct Subscriber {
        let id: UInt64
        let continuation: AsyncStream<String>.Continuation
    }
    private struct State {
        var nextID: UInt64 = 0
        var subscribers: [Int64: [Subscriber]] = [:]
    }
    private let state = Mutex(State())
    /// Events a slow subscriber may have queued before older ones are dropped; the WebSocket layer
    /// closes such a subscriber and it resumes from its last message id.
    private let bufferLimit: Int

    public init(bufferLimit: Int = 1024) {
        self.bufferLimit = bufferLimit
    }

    public func publish(chatID: Int64, payload: String) async throws {
        let subscribers = state.withLock { $0.subscribers[chatID] ?? [] }
        for subscriber in subscribers {
            subscriber.continuation.yield(payload)
        }
    }

    public func subscribe(chatID: Int64) async -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(bufferLimit))
        let id = state.withLock { state in
            state.nextID += 1
            state.subscribers[chatID, default: []].append(Subscriber(id: state.nextID, continuation: continuation))
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in
                state.subscribers[chatID]?.removeAll { $0.id == id }
                if state.subscribers[chatID]?.isEmpty == true { state.subscribers[chatID] = nil }
            }
        }
        return stream
    }

    /// Chats with at least one subscriber on this node (for tests and metrics).
    public var subscribedChatCount: Int { state.withLock { $0.subscribers.count } }
}
