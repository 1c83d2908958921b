import MessengerCore
import NIOCore

/// Hands one socket's work to its session in arrival order, from the socket's event loop: the
/// pending work runs in one short-lived task at a time, so replies keep the client's order and no
/// task outlives the work. A task keeps the memory of its deepest call (JWT check, database lease,
/// Redis subscribe) until it ends; a task per socket would keep it for the socket's whole life
/// (docs/websocket.md, "Memory per connection").
///
/// Confined to the event loop, like the channel handler that owns it.
final class SessionInbox {
    enum Work: Sendable {
        /// The upgrade: the connect limit, then a `?token=` (`WebSocketSession.open`).
        case open(clientIP: String, queryToken: String?)
        case message(String)
        case oversizedMessage
        case frameFlood
        /// The connection is over (`WebSocketSession.end`); the active-connections gauge drops.
        case end
    }

    private let session: WebSocketSession
    private let eventLoop: any EventLoop
    /// The session's next deadline, after the upgrade's authentication or a deadline check.
    private let onDeadline: (ContinuousClock.Instant?) -> Void
    private var pending: [Work] = []
    private var running = false
    private var ended = false

    init(session: WebSocketSession, eventLoop: any EventLoop, onDeadline: @escaping (ContinuousClock.Instant?) -> Void) {
        self.session = session
        self.eventLoop = eventLoop
        self.onDeadline = onDeadline
    }

    func submit(_ work: Work) {
        guard !ended else { return }
        pending.append(work)
        runPending()
    }

    /// Ends the session after the work already running; what has not started is dropped. The send
    /// queue finishes at once, so a replay waiting for room gives up instead of holding the end.
    func endSession() {
        guard !ended else { return }
        ended = true
        session.outbound.finish()
        pending = [.end]
        runPending()
    }

    /// Closes the connection if its deadline has passed, else finds the next one.
    func enforceDeadline() {
        let session = session
        let inbox = NIOLoopBound(self, eventLoop: eventLoop)
        Task {
            guard !(await session.enforceDeadline()) else { return }
            let next = await session.nextDeadline()
            inbox.eventLoop.execute { inbox.value.onDeadline(next) }
        }
    }

    private func runPending() {
        guard !running, !pending.isEmpty else { return }
        running = true
        let batch = pending
        pending = []
        let session = session
        let inbox = NIOLoopBound(self, eventLoop: eventLoop)
        Task {
            var deadline: ContinuousClock.Instant??
            for work in batch {
                switch work {
                case .open(let clientIP, let queryToken):
                    await session.open(clientIP: clientIP, queryToken: queryToken)
                    deadline = .some(await session.nextDeadline())
                case .message(let text):
                    await session.handle(text)
                case .oversizedMessage:
                    await session.rejectOversizedMessage()
                case .frameFlood:
                    await session.rejectFrameFlood()
                case .end:
                    await session.end()
                    // Once the session is over, as before: a socket counts as active until its
                    // subscriptions and presence are released.
                    GatewayMetrics.shared.webSocketConnectionsActive.decrement()
                }
            }
            let nextDeadline = deadline
            inbox.eventLoop.execute {
                let inbox = inbox.value
                inbox.running = false
                if let nextDeadline { inbox.onDeadline(nextDeadline) }
                inbox.runPending()
            }
        }
    }
}
