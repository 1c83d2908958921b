import Dispatch
import Synchronization

/// What one connection's own task waits for: its reader or writer ending, its send queue
/// finishing, and its timer (the session's next deadline, then the close handshake's grace).
///
/// One waiter for all of them, and a timer that is not a task: every task a socket keeps costs
/// its memory for the socket's whole life, so the connection runs two child tasks (reader and
/// writer) rather than one more per thing to wait for (docs/websocket.md, "Memory per connection").
final class ConnectionEvents: Sendable {
    enum Event: Equatable, Sendable {
        /// The client closed, or the connection broke (or the waiting task was cancelled).
        case inboundEnded
        /// The writer sent the close frame, or a write failed.
        case writerFinished
        /// The send queue finished (overflow, or the connection is ending).
        case queueFinished
        /// The timer set with `schedule(_:at:)` fired.
        case deadlineReached
        /// The client did not answer the server's close frame in time.
        case closeHandshakeExpired
    }

    private struct State {
        var pending: [Event] = []
        var waiter: CheckedContinuation<Event, Never>?
        var timer: Timer?
    }

    /// libdispatch sources may be scheduled and cancelled from any thread.
    private struct Timer: @unchecked Sendable {
        let source: any DispatchSourceTimer
    }

    private let state = Mutex(State())

    /// Hands `event` to the waiting task, or keeps it for its next wait.
    func post(_ event: Event) {
        let waiter = state.withLock { state -> CheckedContinuation<Event, Never>? in
            guard let waiter = state.waiter else {
                state.pending.append(event)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: event)
    }

    /// The next event, in the order they were posted. A cancelled wait ends as `.inboundEnded`.
    func next() async -> Event {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Event, Never>) in
                let immediate = state.withLock { state -> Event? in
                    if !state.pending.isEmpty { return state.pending.removeFirst() }
                    if Task.isCancelled { return .inboundEnded }
                    state.waiter = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            post(.inboundEnded)
        }
    }

    /// Posts `event` at `deadline` (at once when it has passed), replacing the timer set before.
    func schedule(_ event: Event, at deadline: ContinuousClock.Instant) {
        let delay = max(.zero, ContinuousClock.now.duration(to: deadline))
        let (seconds, attoseconds) = delay.components
        // Whole nanoseconds, rounded up so the timer never fires before the deadline.
        let nanoseconds = min(seconds, Int64(Int.max / 1_000_000_000 - 1)) * 1_000_000_000 + (attoseconds + 999_999_999) / 1_000_000_000
        let timer = Timer(source: DispatchSource.makeTimerSource(queue: .global()))
        timer.source.schedule(deadline: .now() + .nanoseconds(Int(nanoseconds)), leeway: .milliseconds(5))
        timer.source.setEventHandler { [weak self] in self?.post(event) }
        let previous = state.withLock { state -> Timer? in
            defer { state.timer = timer }
            return state.timer
        }
        previous?.source.cancel()
        timer.source.resume()
    }

    /// Stops the timer, if one is set.
    func cancelTimer() {
        let timer = state.withLock { state -> Timer? in
            defer { state.timer = nil }
            return state.timer
        }
        timer?.source.cancel()
    }
}
