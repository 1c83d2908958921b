import Synchronization

/// The bounded send queue of one socket. Everything the server sends goes through it, so replies,
/// replayed and live events keep one order; one writer task drains it into the network.
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

    private struct State {
        var items: [Item] = []
        var head = 0
        var bytes = 0
        /// A close item is queued: nothing more is accepted.
        var closing = false
        /// Nothing more is accepted or handed out.
        var finished = false
        var overflowed = false
        var writer: CheckedContinuation<Item?, Never>?
        var roomWaiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiterID: UInt64 = 0
        var endWatchers: [CheckedContinuation<Bool, Never>] = []
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
    }

    let maxFrames: Int
    let maxBytes: Int
    private let state = Mutex(State())

    init(maxFrames: Int, maxBytes: Int) {
        self.maxFrames = maxFrames
        self.maxBytes = maxBytes
    }

    var didOverflow: Bool { state.withLock { $0.overflowed } }

    /// Queues a live frame, or finishes the queue as overflowed when it is full.
    @discardableResult
    func offer(_ text: String) -> Offer {
        var resumeWriter: (CheckedContinuation<Item?, Never>, Item)?
        var toFinish: Finished?
        let outcome = state.withLock { state -> Offer in
            guard !state.finished, !state.closing else { return .refused }
            if let writer = state.writer {
                state.writer = nil
                resumeWriter = (writer, .text(text))
                return .queued
            }
            guard state.count < maxFrames, state.bytes + text.utf8.count <= maxBytes else {
                state.overflowed = true
                toFinish = Self.finish(&state)
                return .overflow
            }
            state.items.append(.text(text))
            state.bytes += text.utf8.count
            return .queued
        }
        if let (writer, item) = resumeWriter { writer.resume(returning: item) }
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
        var resumeWriter: (CheckedContinuation<Item?, Never>, Item)?
        let outcome = state.withLock { state -> Offer in
            guard !state.finished, !state.closing else { return .refused }
            if let writer = state.writer {
                state.writer = nil
                resumeWriter = (writer, .text(text))
                return .queued
            }
            guard state.count < maxFrames, state.bytes + text.utf8.count <= maxBytes else { return .overflow }
            state.items.append(.text(text))
            state.bytes += text.utf8.count
            return .queued
        }
        if let (writer, item) = resumeWriter { writer.resume(returning: item) }
        return outcome
    }

    /// Queues the close frame after everything already queued; later offers are refused.
    func close(_ code: WebSocketCloseCode, reason: String) {
        var resumeWriter: CheckedContinuation<Item?, Never>?
        var waiters: [CheckedContinuation<Bool, Never>] = []
        state.withLock { state in
            guard !state.finished, !state.closing else { return }
            state.closing = true
            waiters = Array(state.roomWaiters.values)
            state.roomWaiters = [:]
            if let writer = state.writer {
                state.writer = nil
                resumeWriter = writer
            } else {
                state.items.append(.close(code, reason: reason))
            }
        }
        resumeWriter?.resume(returning: .close(code, reason: reason))
        for waiter in waiters { waiter.resume(returning: false) }
    }

    /// The next frame to send, waiting for one; nil once the queue is finished. Cancelling the
    /// waiting writer finishes the queue (the connection is ending).
    func next() async -> Item? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Item?, Never>) in
                var wakeRoomWaiter: CheckedContinuation<Bool, Never>?
                let immediate = state.withLock { state -> Item?? in
                    if state.finished || Task.isCancelled { return .some(nil) }
                    if let item = state.popFirst() {
                        if let (id, waiter) = state.roomWaiters.first {
                            state.roomWaiters.removeValue(forKey: id)
                            wakeRoomWaiter = waiter
                        }
                        return .some(item)
                    }
                    state.writer = continuation
                    return nil
                }
                wakeRoomWaiter?.resume(returning: true)
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            finish()
        }
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

    /// Returns once the queue is finished: true when it overflowed. Cancelling the wait finishes
    /// the queue (the connection is ending).
    func waitUntilFinished() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let done = state.withLock { state -> Bool? in
                    if state.finished || Task.isCancelled { return state.overflowed }
                    state.endWatchers.append(continuation)
                    return nil
                }
                if let done { continuation.resume(returning: done) }
            }
        } onCancel: {
            finish()
        }
    }

    /// Calls `action` once the queue is finished, with true when it overflowed; at once when it
    /// already is. Unlike `waitUntilFinished`, no task has to wait for it.
    func onFinish(_ action: @escaping @Sendable (Bool) -> Void) {
        let overflowed = state.withLock { state -> Bool? in
            if state.finished { return state.overflowed }
            state.finishActions.append(action)
            return nil
        }
        if let overflowed { action(overflowed) }
    }

    /// Continuations to resume once the lock is released.
    private struct Finished {
        var writer: CheckedContinuation<Item?, Never>?
        var roomWaiters: [CheckedContinuation<Bool, Never>] = []
        var endWatchers: [CheckedContinuation<Bool, Never>] = []
        var finishActions: [@Sendable (Bool) -> Void] = []
        var overflowed = false

        func resumeAll() {
            writer?.resume(returning: nil)
            for waiter in roomWaiters { waiter.resume(returning: false) }
            for watcher in endWatchers { watcher.resume(returning: overflowed) }
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
            writer: state.writer, roomWaiters: Array(state.roomWaiters.values), endWatchers: state.endWatchers,
            finishActions: state.finishActions, overflowed: state.overflowed)
        state.writer = nil
        state.roomWaiters = [:]
        state.endWatchers = []
        state.finishActions = []
        return finished
    }
}
