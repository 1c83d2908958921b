import Foundation
import HummingbirdWebSocket
import Logging
import MessengerCore
import NIOCore

/// Runs one upgraded socket: a reader feeding client messages to the session, a writer draining
/// the session's send queue, and a watchdog for the auth timeout and token expiry. The first of
/// them to end the connection ends all three; a slow consumer then gets its 4008 close.
struct WebSocketConnection: Sendable {
    let session: WebSocketSession
    let limits: WebSocketLimits
    let logger: Logger

    /// Why the connection's task group stopped waiting.
    private enum Ending: Sendable {
        /// The client closed, or the connection broke.
        case inboundEnded
        /// The session asked to close; the writer has sent the close frame or failed.
        case writerFinished
        /// The send queue finished (overflow, or the connection is ending).
        case queueFinished
        /// The client did not answer the server's close frame in time.
        case closeHandshakeExpired
        /// The watchdog has nothing left to watch; the connection goes on.
        case watchdogStopped
    }

    /// `admitted` is false when the client's IP is over the connect limit: the socket only gets
    /// its refusal.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, queryToken: String?, admitted: Bool) async {
        let queue = session.outbound
        if !admitted {
            await session.refuseConnection()
        } else if let queryToken {
            await session.authenticateFromQuery(token: queryToken)
        }
        let ending = await withTaskGroup(of: Ending.self) { group -> Ending in
            group.addTask { await write(queue, to: outbound) }
            group.addTask { await read(inbound) }
            group.addTask { await watch() }
            group.addTask {
                _ = await queue.waitUntilFinished()
                return .queueFinished
            }
            var last = Ending.inboundEnded
            waiting: while let ending = await group.next() {
                last = ending
                switch ending {
                case .watchdogStopped:
                    continue
                case .writerFinished:
                    // The close handshake (RFC 6455 §7.1.1): the reader drains until the client's
                    // close frame ends the inbound stream; a client that never answers is cut off.
                    let grace = limits.closeHandshakeGrace
                    group.addTask {
                        try? await Task.sleep(for: grace)
                        return .closeHandshakeExpired
                    }
                case .inboundEnded, .queueFinished, .closeHandshakeExpired:
                    break waiting
                }
            }
            group.cancelAll()
            return last
        }
        await session.end()
        // Only an overflow that ended the connection makes a slow consumer; one racing a client's
        // own close does not.
        if case .queueFinished = ending, queue.didOverflow {
            RealtimeMetrics.shared.slowConsumerCloses.increment()
            await closeSlowConsumer(outbound)
        }
    }

    /// Client messages in, one at a time, so their replies keep the client's order. Once the
    /// session closes, frames are read and dropped until the client's close frame, so the
    /// WebSocket layer can complete the close handshake.
    private func read(_ inbound: WebSocketInboundStream) async -> Ending {
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
                    await session.handle(text)
                }
            }
        } catch {
            logger.debug("websocket read ended", metadata: ["error": "\(String(reflecting: error))"])
        }
        return .inboundEnded
    }

    /// The send queue out to the network, until the close frame or a failed write.
    private func write(_ queue: OutboundQueue, to outbound: WebSocketOutboundWriter) async -> Ending {
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

    /// Sleeps until the session's next deadline (auth timeout, then token expiry) and enforces it.
    private func watch() async -> Ending {
        while !Task.isCancelled {
            guard let deadline = await session.nextDeadline() else { break }
            try? await Task.sleep(until: deadline, clock: .continuous)
            if Task.isCancelled { break }
            if await session.enforceDeadline() { break }
        }
        return .watchdogStopped
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
