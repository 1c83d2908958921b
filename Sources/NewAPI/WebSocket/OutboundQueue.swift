import Synchronization

/// The bounded send queue of one socket. Everything the server sends goes through it, so replies,
/// replayed and live events keep one order; the socket's channel handler drains it on its event
/// loop (`poll`) whenever the queue wakes it.
///
/// Live events are offered without waiting: when the socket cannot keep up, the queue overflows,
/// drops what it holds and reports it once, and the connection is closed as a slow consumer
/// (4008). The publisher never waits for a socket, so one slow socket delays no other. Replayed
/// messages, which the session produces at its own pace, wait for room instead.
final class OutboundQueue: Sendable {
    enum Item: Equatable, Sendable {
        case text(String)
        case close(WebSocketCloseCode, reason: String)
    }

    enum Offer: Equatable, Sendable {
        case queued
        /// The queue was full: it is now finished and the socket is a slow consumer.
        case overflow
        /// The queue no longer accepts items (closing, finished or overflowed).
        case refused
    }

    enum Poll: Equatable, Sendable {
        case item(Item)
        /// Nothing queued: the consumer is woken when something is.
        case empty
        /// Nothing more will come (the connection is over, or the queue overflowed).
        case finished
    }

    private struct State {
        var items: [Item] = []
        var head = 0
        var bytes = 0
        /// A close item is queued: nothing more is accepted.
        var closing = false
        /// Nothing more is accepted or handed out.
        var finished = false
        var overflowed = false
        /// The consumer found the queue empty and waits to be woken.
        var consumerWaits = false
        var wakeConsumer: (@Sendable () -> Void)?
        var roomWaiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiterID: UInt64 = 0
        var finishActions: [@Sendable (Bool) -> Void] = []

        var count: Int { items.count - head }

        mutating func popFirst() -> Item? {
            guard head < items.count else { return nil }
            let item = items[head]
            head += 1
            if head == items.count {
                // Drained: an idle socket keeps no storage.
                items = []
                head = 0
            } else if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            if case .text(let text) = item { bytes -= text.utf8.count }
            return item
        }

        /// Appends `item`; the consumer to wake, if it waits.
        mutating func append(_ item: Item) -> (@Sendable () -> Void)? {
            items.append(item)
            if case .text(let text) = item { bytes += text.utf8.count }
            return takeWaitingConsumer()
        }

        mutating func takeWaitingConsumer() -> (@Sendable () -> Void)? {
            guard consumerWaits else { return nil }
            consumerWaits = false
            return wakeConsumer
        }
    }

    let maxFrames: Int
    let maxBytes: Int
    private let state = Mutex(State())

    init(maxFrames: Int, maxBytes: Int) {
        self.maxFrames = maxFrames
        self.maxBytes = maxBytes
    }

    var didOverflow: Bool { state.withLock { $0.overflowed } }

    /// Sets who is woken (once per `poll` that found the queue empty) when an item arrives or the
    /// queue finishes. The wake-up should only schedule the drain, not drain in place.
    func setConsumer(_ wake: @escaping @Sendable () -> Void) {
        state.withLock { $0.wakeConsumer = wake }
    }

    /// The next item without waiting. `.empty` arms the consumer's wake-up.
    func poll() -> Poll {
        var wakeRoomWaiter: CheckedContinuation<Bool, Never>?
        let result = state.withLock { state -> Poll in
            if state.finished { return .finished }
            guard let item = state.popFirst() else {
                state.consumerWaits = true
                return .empty
            }
            if let (id, waiter) = state.roomWaiters.first {
                state.roomWaiters.removeValue(forKey: id)
                wakeRoomWaiter = waiter
            }
            return .item(item)
        }
        wakeRoomWaiter?.resume(returning: true)
        return result
    }

    /// Queues a live frame, or finishes the queue as overflowed when it is full.
    @discardableResult
    func offer(_ text: String) -> Offer {
        var wake: (@Sendable () -> Void)?
        var toFinish: Finished?
        let outcome = state.withLock { state -> Offer in
            guard !state.finished, !state.closing else { return .refused }
            guard state.count < maxFrames, state.bytes + text.utf8.count <= maxBytes else {
                state.overflowed = true
                toFinish = Self.finish(&state)
                return .overflow
            }
            wake = state.append(.text(text))
            return .queued
        }
        wake?()
        toFinish?.resumeAll()
        return outcome
    }

    /// Queues a frame once there is room; false when the queue stopped accepting meanwhile or the
    /// calling task was cancelled.
    func offerWhenRoom(_ text: String) async -> Bool {
        while true {
            switch offerIfRoom(text) {
            case .queued: return true
            case .refused: return false
            case .overflow: break
            }
            let id = state.withLock { state -> UInt64 in
                state.nextWaiterID += 1
                return state.nextWaiterID
            }
            let mayRetry = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    let immediate = state.withLock { state -> Bool? in
                        if state.finished || state.closing || Task.isCancelled { return false }
                        if state.count < maxFrames && state.bytes + text.utf8.count <= maxBytes { return true }
                        state.roomWaiters[id] = continuation
                        return nil
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                }
            } onCancel: {
                state.withLock { $0.roomWaiters.removeValue(forKey: id) }?.resume(returning: false)
            }
            guard mayRetry else { return false }
        }
    }

    /// Like `offer`, but a full queue refuses (reported as `.overflow`) without finishing.
    private func offerIfRoom(_ text: String) -> Offer {
        var wake: (@Sendable () -> Void)?
        let outcome = state.withLock { state -> Offer in
            guard !state.finished, !state.closing else { return .refused }
            guard state.count < maxFrames, state.bytes + text.utf8.count <= maxBytes else { return .overflow }
            wake = state.append(.text(text))
            return .queued
        }
        wake?()
        return outcome
    }

    /// Queues the close frame after everything already queued; later offers are refused.
    func close(_ code: WebSocketCloseCode, reason: String) {
        var wake: (@Sendable () -> Void)?
        var waiters: [CheckedContinuation<Bool, Never>] = []
        state.withLock { state in
            guard !state.finished, !state.closing else { return }
            state.closing = true
            waiters = Array(state.roomWaiters.values)
            state.roomWaiters = [:]
            wake = state.append(.close(code, reason: reason))
        }
        wake?()
        for waiter in waiters { waiter.resume(returning: false) }
    }

    /// Drops everything and wakes every waiter: the connection is over.
    func finish() {
        let finished = state.withLock { Self.finish(&$0) }
        finished.resumeAll()
    }

    /// Finishes the queue as overflowed (a buffer in front of it overflowed).
    func overflow() {
        let finished = state.withLock { state -> Finished in
            guard !state.finished else { return Finished() }
            state.overflowed = true
            return Self.finish(&state)
        }
        finished.resumeAll()
    }

    /// Calls `action` once the queue is finished, with true when it overflowed; at once when it
    /// already is.
    func onFinish(_ action: @escaping @Sendable (Bool) -> Void) {
        let overflowed = state.withLock { state -> Bool? in
            if state.finished { return state.overflowed }
            state.finishActions.append(action)
            return nil
        }
        if let overflowed { action(overflowed) }
    }

    /// What to wake once the lock is released.
    private struct Finished {
        var consumer: (@Sendable () -> Void)?
        var roomWaiters: [CheckedContinuation<Bool, Never>] = []
        var finishActions: [@Sendable (Bool) -> Void] = []
        var overflowed = false

        func resumeAll() {
            consumer?()
            for waiter in roomWaiters { waiter.resume(returning: false) }
            for action in finishActions { action(overflowed) }
        }
    }

    private static func finish(_ state: inout State) -> Finished {
        guard !state.finished else { return Finished() }
        state.finished = true
        state.items = []
        state.head = 0
        state.bytes = 0
        let finished = Finished(
            consumer: state.takeWaitingConsumer(), roomWaiters: Array(state.roomWaiters.values),
            finishActions: state.finishActions, overflowed: state.overflowed)
        state.roomWaiters = [:]
        state.finishActions = []
        // The consumer's closure may hold the connection: drop it with the queue.
        state.wakeConsumer = nil
        return finished
    }
}
