import Synchronization

/// The bus events of one session between the bus's delivery path and the session actor. The bus
/// never waits for a socket, and no task waits for events: the first event of a burst starts one
/// short-lived task that takes batches until the mailbox is empty (docs/websocket.md, "Memory per
/// connection").
final class BusEventMailbox: Sendable {
    struct Event: Sendable {
        let payload: String
        let chatID: Int64
        let subscriptionID: UInt64
    }

    enum Posting: Equatable {
        case queued
        /// The mailbox was idle: the caller starts the task that drains it.
        case startDrain
        /// `limit` events already wait: the event is dropped and the socket is a slow consumer.
        case overflow
    }

    private struct State {
        var events: [Event] = []
        var draining = false
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    func post(_ event: Event) -> Posting {
        state.withLock { state in
            guard state.events.count < limit else { return .overflow }
            state.events.append(event)
            guard !state.draining else { return .queued }
            state.draining = true
            return .startDrain
        }
    }

    /// The waiting events, or nil (and the drain is over) when there are none.
    func takeAll() -> [Event]? {
        state.withLock { state in
            guard !state.events.isEmpty else {
                state.draining = false
                return nil
            }
            defer { state.events = [] }
            return state.events
        }
    }
}
