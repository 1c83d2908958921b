import NIOCore

/// The first handler of every connection: it reads the head of the first request and picks the
/// connection's pipeline before anything parses it for real: a WebSocket upgrade goes to NIO's
/// upgrade pipeline, everything else to Hummingbird's own HTTP/1 pipeline, exactly as a plain
/// HTTP/1 server sets it up. The bytes read so far are then replayed into the chosen pipeline and
/// this handler leaves it.
///
/// Deciding first is what lets an upgraded socket live without a task: NIO's upgrade handler can
/// only fall back to HTTP by handing over requests it has already parsed, which Hummingbird's
/// HTTP/1 pipeline cannot take, so the split happens on the raw bytes instead.
final class FirstRequestClassifier: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Kind: Equatable {
        case http
        /// The request asks for a WebSocket (an `Upgrade` header naming it), on any path: the
        /// upgrade pipeline refuses the ones it does not serve with 400, as before.
        case webSocketUpgrade
    }

    /// A head longer than this is not waited for: the HTTP pipeline applies its own limits.
    static let maxHeadBytes = 16 << 10

    private let install: (Kind, any Channel) throws -> Void
    private let abandon: (any Error) -> Void
    private var buffered: ByteBuffer?
    private var decided = false

    /// `install` adds the chosen pipeline at the end (after this handler); `abandon` is told when
    /// the connection ends or fails before its first request head is complete.
    init(install: @escaping (Kind, any Channel) throws -> Void, abandon: @escaping (any Error) -> Void) {
        self.install = install
        self.abandon = abandon
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if buffered == nil {
            buffered = bytes
        } else {
            buffered?.writeBuffer(&bytes)
        }
        guard let buffered, let kind = Self.classify(buffered) else { return }
        decide(kind, context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Until the decision, the bytes stay here; after it this handler is gone.
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            // Shutting down with no complete request yet: nothing to answer.
            context.close(promise: nil)
        case let event as ChannelEvent where event == .inputClosed:
            guard (buffered?.readableBytes ?? 0) > 0 else {
                context.close(promise: nil)
                return
            }
            // A truncated request: the HTTP pipeline answers it as it would have.
            decide(.http, context: context)
            context.fireUserInboundEventTriggered(event)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !decided {
            decided = true
            abandon(ChannelError.ioOnClosedChannel)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard decided else {
            decided = true
            abandon(error)
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    private func decide(_ kind: Kind, context: ChannelHandlerContext) {
        guard !decided else { return }
        decided = true
        do {
            try install(kind, context.channel)
        } catch {
            abandon(error)
            context.close(promise: nil)
            return
        }
        if let buffered {
            self.buffered = nil
            context.fireChannelRead(wrapInboundOut(buffered))
        }
        context.fireChannelReadComplete()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// The kind of connection once the head is complete (or too long to wait for); nil while
    /// more bytes are needed. Only the `Upgrade` header is looked at: the real parse follows.
    static func classify(_ bytes: ByteBuffer) -> Kind? {
        let view = bytes.readableBytesView
        guard let end = view.firstRange(of: headEnd) else {
            return view.count > maxHeadBytes ? .http : nil
        }
        let head = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            guard line[..<colon].trimmingWhitespace().lowercased() == "upgrade" else { continue }
            if line[line.index(after: colon)...].lowercased().contains("websocket") { return .webSocketUpgrade }
        }
        return .http
    }

    private static let headEnd = Array("\r\n\r\n".utf8)
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else { return "" }
        return self[first...last]
    }
}
