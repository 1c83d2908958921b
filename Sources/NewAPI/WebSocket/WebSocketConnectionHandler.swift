import Logging
import MessengerCore
import NIOCore
import NIOWebSocket

/// One upgraded `/ws` socket, run on its channel's event loop: client frames in (assembled into
/// messages, handed to the session in order), the session's send queue out, the protocol's ping,
/// pong and close handshake, the keep-alive ping and the session's deadlines.
///
/// No task lives with the socket: an idle socket is this handler, its channel and its session.
/// Each piece of work for the session runs in a short-lived task (`SessionInbox`) and the timers
/// are event-loop timers (docs/websocket.md, "Memory per connection").
final class WebSocketConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum State {
        case open
        /// The server's close frame is out (or on its way): only the client's close frame, or the
        /// end of the connection, is awaited.
        case closing
        case closed
    }

    private let session: WebSocketSession
    private let limits: WebSocketLimits
    private let keepAlive: TimeAmount
    private let logger: Logger
    /// The upgrade's part of the session's work; not kept once handed over (it holds the token).
    private var opening: SessionInbox.Work?
    private var state = State.open
    private var context: ChannelHandlerContext?
    private var inbox: SessionInbox?
    private var assembler: InboundMessageAssembler
    private var frameBudget: FrameRateLimiter
    /// A flood or an oversized message closed the socket: further data frames are dropped.
    private var inputRejected = false
    private var awaitingPong = false
    private var deadlineTimer: Scheduled<Void>?
    private var pingTimer: Scheduled<Void>?
    private var closeTimer: Scheduled<Void>?
    private var ended = false

    /// `clientIP` counts towards the per-IP connect limit; `queryToken` is the `?token=` of the
    /// upgrade, if any.
    init(session: WebSocketSession, limits: WebSocketLimits, keepAlive: TimeAmount, clientIP: String, queryToken: String?, logger: Logger) {
        self.session = session
        self.limits = limits
        self.keepAlive = keepAlive
        self.logger = logger
        self.opening = .open(clientIP: clientIP, queryToken: queryToken)
        self.assembler = InboundMessageAssembler(maxBytes: limits.maxMessageBytes)
        self.frameBudget = FrameRateLimiter(rate: limits.framesPerSecond, burst: limits.frameBurst)
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let metrics = GatewayMetrics.shared
        metrics.webSocketConnectionsTotal.increment()
        metrics.webSocketConnectionsActive.increment()
        let loop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        let inbox = SessionInbox(session: session, eventLoop: loop) { [weak self] deadline in
            self?.schedule(deadline: deadline)
        }
        self.inbox = inbox
        session.outbound.setConsumer { loop.execute { handler.value.drainOutbound() } }
        session.outbound.onFinish { overflowed in
            guard overflowed else { return }
            loop.execute { handler.value.closeSlowConsumer() }
        }
        scheduleKeepAlive()
        // Arms the queue's wake-up (it wakes a consumer that found it empty).
        drainOutbound()
        // The connect limit and a `?token=` come before any client message.
        if let opening { inbox.submit(opening) }
        opening = nil
        if !context.channel.isActive { end() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        end()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        end()
        context.fireChannelInactive()
    }

    /// The connection is over: timers stop, the session ends (subscriptions, presence), then the
    /// gauge drops. Exactly once, whichever way the connection went.
    private func end() {
        guard !ended else { return }
        ended = true
        state = .closed
        for timer in [deadlineTimer, pingTimer, closeTimer] { timer?.cancel() }
        deadlineTimer = nil
        pingTimer = nil
        closeTimer = nil
        inbox?.endSession()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            // The gateway is shutting down: a normal closure, as the client should reconnect
            // elsewhere and resume.
            if state == .open { sendClose(code: .normalClosure, reason: nil) }
        case let event as ChannelEvent where event == .inputClosed:
            // The client half-closed without a close frame: nothing more can arrive.
            context.close(promise: nil)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Protocol errors (frame too large, bad control frame) are answered with their close code
        // by the `WebSocketProtocolErrorHandler` in front of this handler, which then closes.
        guard !(error is NIOWebSocketError) else { return }
        logger.debug("websocket connection error", metadata: ["error": "\(String(reflecting: error))"])
        context.close(promise: nil)
    }

    // MARK: inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .connectionClose:
            receivedClose(frame)
        case .ping:
            guard state == .open else { return }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            awaitingPong = false
        case .text, .binary, .continuation:
            guard state == .open, !inputRejected else { return }
            guard frame.rsv1 == false, frame.rsv2 == false, frame.rsv3 == false else {
                // No extension is negotiated, so no reserved bit may be set (RFC 6455 §5.2).
                return failConnection(.protocolError)
            }
            receivedData(frame)
        default:
            failConnection(.protocolError)
        }
    }

    private func receivedData(_ frame: WebSocketFrame) {
        guard frameBudget.admit() else {
            inputRejected = true
            inbox?.submit(.frameFlood)
            return
        }
        switch assembler.append(frame.opcode, frame.unmaskedData, fin: frame.fin) {
        case .incomplete, .binary:
            return
        case .tooLarge:
            inputRejected = true
            inbox?.submit(.oversizedMessage)
        case .text(let text):
            inbox?.submit(.message(text))
        }
    }

    /// The client's close frame: answered (RFC 6455 §5.5.1) unless it answers ours; either way the
    /// connection then ends.
    private func receivedClose(_ frame: WebSocketFrame) {
        guard let context else { return }
        switch state {
        case .open:
            state = .closed
            let reply = Self.closeReplyCode(to: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(Self.closeFrame(code: reply, reason: nil, allocator: context.channel.allocator)))
                .whenComplete { [loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)] _ in
                    loopBound.value.close(promise: nil)
                }
        case .closing, .closed:
            context.close(promise: nil)
        }
    }

    /// Normal closure for a well-formed close frame, protocol error otherwise (as
    /// hummingbird-websocket answered before: codes outside the registered ones and 3000–4999
    /// are refused).
    static func closeReplyCode(to payload: ByteBuffer) -> WebSocketErrorCode {
        var payload = payload
        guard payload.readableBytes > 0 else { return .normalClosure }
        guard let code = payload.readWebSocketErrorCode() else { return .protocolError }
        if case .unknown(let number) = code, number < 3000 || number > 4999 { return .protocolError }
        return .normalClosure
    }

    // MARK: outbound

    /// Writes what the session queued while the socket can take it; the rest waits for
    /// `channelWritabilityChanged`, so a slow reader fills the queue up to its bound (4008).
    private func drainOutbound() {
        guard state == .open, let context else { return }
        var wrote = false
        draining: while context.channel.isWritable {
            switch session.outbound.poll() {
            case .item(.text(let text)):
                write(text, context: context)
                wrote = true
            case .item(.close(let code, let reason)):
                return sendClose(code: WebSocketErrorCode(codeNumber: code.rawValue), reason: reason)
            case .empty, .finished:
                break draining
            }
        }
        if wrote { context.flush() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drainOutbound() }
        context.fireChannelWritabilityChanged()
    }

    /// One text message; long ones as fragments of `outboundFragmentBytes`.
    private func write(_ text: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(string: text)
        let size = limits.outboundFragmentBytes
        var opcode = WebSocketOpcode.text
        repeat {
            let fragment = buffer.readSlice(length: min(size, buffer.readableBytes)) ?? buffer
            let fin = buffer.readableBytes == 0
            context.write(wrapOutboundOut(WebSocketFrame(fin: fin, opcode: opcode, data: fragment)), promise: nil)
            opcode = .continuation
        } while buffer.readableBytes > 0
    }

    /// The queue overflowed: what it held is dropped, the session ends, and the close frame waits
    /// behind what the socket already holds, for a bounded time.
    private func closeSlowConsumer() {
        guard state == .open else { return }
        RealtimeMetrics.shared.slowConsumerCloses.increment()
        inbox?.endSession()
        sendClose(code: WebSocketErrorCode(codeNumber: WebSocketCloseCode.slowConsumer.rawValue), reason: "slow consumer")
    }

    /// Sends the server's close frame and ends the output (the client reads the end of the
    /// stream at once, as with hummingbird-websocket before); a client that does not answer
    /// within the close handshake's grace is cut off, as is a socket that cannot even take the
    /// close frame in time.
    private func sendClose(code: WebSocketErrorCode, reason: String?) {
        guard state == .open, let context else { return }
        state = .closing
        deadlineTimer?.cancel()
        pingTimer?.cancel()
        let loop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: loop)
        closeTimer = loop.scheduleTask(in: Self.timeAmount(limits.slowConsumerCloseGrace)) { handler.value.context?.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(Self.closeFrame(code: code, reason: reason, allocator: context.channel.allocator)))
            .whenComplete { result in
                handler.value.closeFrameSent(result)
            }
    }

    private func closeFrameSent(_ result: Result<Void, any Error>) {
        guard state == .closing, let context else { return }
        closeTimer?.cancel()
        guard case .success = result else { return context.close(promise: nil) }
        context.close(mode: .output, promise: nil)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        closeTimer = context.eventLoop.scheduleTask(in: Self.timeAmount(limits.closeHandshakeGrace)) {
            handler.value.context?.close(promise: nil)
        }
    }

    /// A frame the protocol forbids, or no answer to the keep-alive: close with `code` and drop
    /// the connection without waiting for the client's answer.
    private func failConnection(_ code: WebSocketErrorCode, reason: String? = nil) {
        guard let context else { return }
        state = .closed
        context.writeAndFlush(wrapOutboundOut(Self.closeFrame(code: code, reason: reason, allocator: context.channel.allocator)))
            .whenComplete { [loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)] _ in
                loopBound.value.close(promise: nil)
            }
    }

    static func closeFrame(code: WebSocketErrorCode, reason: String?, allocator: ByteBufferAllocator) -> WebSocketFrame {
        var data = allocator.buffer(capacity: 2 + (reason?.utf8.count ?? 0))
        data.write(webSocketErrorCode: code)
        if let reason { data.writeString(reason) }
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }

    // MARK: timers

    /// The session's next deadline (auth timeout, then token expiry), enforced on this loop.
    private func schedule(deadline: ContinuousClock.Instant?) {
        deadlineTimer?.cancel()
        deadlineTimer = nil
        guard state == .open, let deadline, let context else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let delay = ContinuousClock.now.duration(to: deadline)
        deadlineTimer = context.eventLoop.scheduleTask(in: Self.timeAmount(max(.zero, delay))) {
            guard handler.value.state == .open else { return }
            handler.value.inbox?.enforceDeadline()
        }
    }

    /// The server pings every `keepAlive`; a client that has not answered the previous ping by
    /// then is closed with 1001 (hummingbird-websocket's auto-ping, kept as it was).
    private func scheduleKeepAlive() {
        guard let context else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        pingTimer = context.eventLoop.scheduleTask(in: keepAlive) { handler.value.keepAliveFired() }
    }

    private func keepAliveFired() {
        guard state == .open, let context else { return }
        if awaitingPong {
            failConnection(.goingAway, reason: "Ping timeout")
            return
        }
        awaitingPong = true
        var data = context.channel.allocator.buffer(capacity: 8)
        data.writeInteger(UInt64.random(in: .min ... .max))
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: data)), promise: nil)
        scheduleKeepAlive()
    }

    /// Whole nanoseconds, rounded up so a timer never fires before its deadline.
    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        let capped = min(seconds, Int64(Int64.max / 1_000_000_000 - 1))
        return .nanoseconds(capped * 1_000_000_000 + (attoseconds + 999_999_999) / 1_000_000_000)
    }
}
