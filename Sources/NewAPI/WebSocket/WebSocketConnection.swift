import Foundation
import HummingbirdWebSocket
import Logging
import MessengerCore
import NIOCore

/// Runs one upgraded socket: a reader feeding client messages to the session, a writer draining
/// the session's send queue, and the connection's own task supervising them: it enforces the
/// session's deadlines (auth timeout, token expiry) and ends the connection on the first of the
/// reader ending, the send queue finishing, or the close handshake's grace running out. A slow
/// consumer then gets its 4008 close.
///
/// An idle socket is mostly memory, so a connection keeps two child tasks and a timer, and its
/// long-lived tasks hand every deep call (JWT check, database, Redis) to a `ShortLivedTask`
/// (docs/websocket.md, "Memory per connection").
struct WebSocketConnection: Sendable {
    let session: WebSocketSession
    let limits: WebSocketLimits
    let logger: Logger

    /// `clientIP` counts towards the per-IP connect limit; `queryToken` is the `?token=` of the
    /// upgrade, if any.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, clientIP: String, queryToken: String?) async {
        let queue = session.outbound
        let session = session
        await ShortLivedTask.run { await session.open(clientIP: clientIP, queryToken: queryToken) }
        let events = ConnectionEvents()
        queue.onFinish { _ in events.post(.queueFinished) }
        let ending = await withDiscardingTaskGroup { group -> ConnectionEvents.Event in
            group.addTask { await write(queue, to: outbound, events: events) }
            group.addTask { await read(inbound, events: events) }
            let ending = await supervise(events)
            events.cancelTimer()
            group.cancelAll()
            return ending
        }
        await session.end()
        // Only an overflow that ended the connection makes a slow consumer; one racing a client's
        // own close does not.
        if ending == .queueFinished, queue.didOverflow {
            RealtimeMetrics.shared.slowConsumerCloses.increment()
            await closeSlowConsumer(outbound)
        }
    }

    /// Waits for what ends the connection, enforcing the session's deadlines meanwhile.
    private func supervise(_ events: ConnectionEvents) async -> ConnectionEvents.Event {
        var closeHandshakeStarted = false
        await scheduleNextDeadline(events)
        while true {
            let event = await events.next()
            switch event {
            case .deadlineReached:
                // Once the close frame is out, the grace timer replaced the deadline's.
                guard !closeHandshakeStarted else { continue }
                if !(await session.enforceDeadline()) { await scheduleNextDeadline(events) }
            case .writerFinished:
                // The close handshake (RFC 6455 §7.1.1): the reader drains until the client's
                // close frame ends the inbound stream; a client that never answers is cut off.
                closeHandshakeStarted = true
                events.schedule(.closeHandshakeExpired, at: .now + limits.closeHandshakeGrace)
            case .inboundEnded, .queueFinished, .closeHandshakeExpired:
                return event
            }
        }
    }

    /// The session's next deadline (auth timeout, then token expiry), if any, as the timer.
    private func scheduleNextDeadline(_ events: ConnectionEvents) async {
        guard let deadline = await session.nextDeadline() else { return }
        events.schedule(.deadlineReached, at: deadline)
    }

    /// Client messages in, one at a time, so their replies keep the client's order. Once the
    /// session closes, frames are read and dropped until the client's close frame, so the
    /// WebSocket layer can complete the close handshake.
    private func read(_ inbound: WebSocketInboundStream, events: ConnectionEvents) async {
        defer { events.post(.inboundEnded) }
        let session = session
        var assembler = InboundMessageAssembler(maxBytes: limits.maxMessageBytes)
        do {
            for try await frame in inbound {
                guard await session.admitFrame() else { continue }
                switch assembler.append(frame.opcode, frame.data, fin: frame.fin) {
                case .incomplete, .binary:
                    continue
                case .tooLarge:
                    await session.rejectOversizedMessage()
                case .text(let text):
                    await ShortLivedTask.run { await session.handle(text) }
                }
            }
        } catch {
            logger.debug("websocket read ended", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// The send queue out to the network, until the close frame or a failed write.
    private func write(_ queue: OutboundQueue, to outbound: WebSocketOutboundWriter, events: ConnectionEvents) async {
        events.post(await writeUntilDone(queue, to: outbound))
    }

    /// `.writerFinished` after the close frame or a failed write; `.queueFinished` when the queue
    /// finished first.
    private func writeUntilDone(_ queue: OutboundQueue, to outbound: WebSocketOutboundWriter) async -> ConnectionEvents.Event {
        while let item = await queue.next() {
            do {
                switch item {
                case .text(let text):
                    try await send(text, to: outbound)
                case .close(let code, let reason):
                    try await outbound.close(.init(codeNumber: code.rawValue), reason: reason)
                    return .writerFinished
                }
            } catch {
                return .writerFinished
            }
        }
        return .queueFinished
    }

    /// One text message; long ones as fragments of `outboundFragmentBytes`.
    private func send(_ text: String, to outbound: WebSocketOutboundWriter) async throws {
        let size = limits.outboundFragmentBytes
        guard text.utf8.count > size else { return try await outbound.write(.text(text)) }
        var buffer = ByteBuffer(string: text)
        try await outbound.withTextMessageWriter { writer in
            while let fragment = buffer.readSlice(length: min(size, buffer.readableBytes)), fragment.readableBytes > 0 {
                try await writer(fragment)
            }
        }
    }

    /// The writer was stopped mid-write; the close frame waits behind what the socket already
    /// holds, for a bounded time, and the connection is dropped without it after that.
    private func closeSlowConsumer(_ outbound: WebSocketOutboundWriter) async {
        let grace = limits.slowConsumerCloseGrace
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await outbound.close(.init(codeNumber: WebSocketCloseCode.slowConsumer.rawValue), reason: "slow consumer")
            }
            group.addTask { try? await Task.sleep(for: grace) }
            await group.next()
            group.cancelAll()
        }
    }
}
