import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import MessengerCore
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The gateway's HTTP/1 server connection: plain HTTP goes to the Hummingbird responder through
/// Hummingbird's own HTTP/1 pipeline; a WebSocket upgrade of `/ws` is handed to a
/// `WebSocketConnectionHandler` on the channel's event loop, and the connection's task ends with
/// the upgrade. Hummingbird runs one task per connection until `handle` returns and does not close
/// the channel then, so an upgraded socket keeps no task (docs/websocket.md, "Memory per
/// connection"). Its shutdown still reaches the socket, as `ChannelShouldQuiesceEvent`, and waits
/// for it to close.
struct WebSocketServerChannel: ServerChildChannel, HTTPChannelHandler {
    enum Route: Sendable {
        case http(HTTP1Channel.Value)
        /// The socket now runs on its event loop.
        case webSocket
        /// An upgrade that was not served: answered with 400 and closed.
        case refused
    }

    struct Value: ServerChildChannelValue {
        let route: EventLoopFuture<Route>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    private let http1: HTTP1Channel
    private let controller: WebSocketController

    init(responder: @escaping HTTPChannelHandler.Responder, controller: WebSocketController) {
        let responder = Self.redirectingLateUpgrades(responder)
        self.responder = responder
        self.http1 = HTTP1Channel(responder: responder)
        self.controller = controller
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let route = channel.eventLoop.makePromise(of: Route.self)
            // The receive buffer NIO keeps per connection starts at 1 KiB instead of 2 KiB: an
            // idle socket holds it for its whole life, and request heads fit (it grows on demand).
            try channel.pipeline.syncOperations.addHandler(
                FirstRequestClassifier(
                    install: { kind, channel in
                        switch kind {
                        case .http:
                            route.completeWith(http1.setup(channel: channel, logger: logger).map { .http($0) })
                        case .webSocketUpgrade:
                            route.completeWith(try configureUpgrade(on: channel))
                        }
                    },
                    abandon: { route.fail($0) }))
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 65536))
            return Value(route: route.futureResult, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.route.get() {
            case .http(let asyncChannel):
                await handleHTTP(asyncChannel: asyncChannel, logger: logger)
            case .webSocket, .refused:
                return
            }
        } catch let error as ChannelError where error == .ioOnClosedChannel || error == .inputClosed {
            logger.trace("connection closed before its first request")
        } catch {
            logger.debug("connection setup failed", metadata: ["error": "\(String(reflecting: error))"])
            try? await value.channel.close()
        }
    }

    /// NIO's upgrade pipeline with the `/ws` upgrader, configured like Hummingbird's HTTP/1
    /// pipeline (no pipelining or error handling of NIO's own, the same header limits). The 101
    /// response carries the request's id as `RequestIDMiddleware` gives it to every other response,
    /// and the socket's log lines carry it too.
    private func configureUpgrade(on channel: any Channel) throws -> EventLoopFuture<Route> {
        let controller = controller
        let generatedID = RequestID().description
        let requestID = { @Sendable (head: HTTPRequestHead) in
            head.headers.first(name: RequestLogging.header).flatMap(RequestLogging.acceptable) ?? generatedID
        }
        let upgrader = NIOTypedWebSocketServerUpgrader<Route>(
            maxFrameSize: controller.limits.maxMessageBytes,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(
                    controller.serves(head) ? HTTPHeaders([(RequestLogging.header, requestID(head))]) : nil)
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    try controller.startConnection(on: channel, request: head, requestID: requestID(head))
                    return .webSocket
                }
            })
        var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Route>(
            upgradeConfiguration: .init(upgraders: [upgrader], notUpgradingCompletionHandler: Self.refuse))
        configuration.enablePipelining = false
        configuration.enableErrorHandling = false
        configuration.enableResponseHeaderValidation = false
        let limits = http1.configuration.httpDecoder
        configuration.decoderConfiguration.maxHeaderFieldSize = limits.maxHeaderFieldSize
        configuration.decoderConfiguration.maxHeaderListSize = limits.maxHeaderListSize
        configuration.decoderConfiguration.maxHeaderFieldCount = limits.maxHeaderFieldCount
        return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
    }

    /// An upgrade that was not served (another path, a bad handshake): 400 and close, as
    /// hummingbird-websocket answered it.
    @Sendable private static func refuse(_ channel: any Channel) -> EventLoopFuture<Route> {
        channel.eventLoop.makeCompletedFuture {
            let head = HTTPResponseHead(version: .http1_1, status: .badRequest, headers: ["connection": "close", "content-length": "0"])
            let pipeline = channel.pipeline.syncOperations
            pipeline.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            pipeline.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            return .refused
        }
    }

    /// A WebSocket upgrade asked for after another request on the same connection is not
    /// upgradable there (only a connection's first request is): the client is redirected to the
    /// same URI on a new connection, as hummingbird-websocket did.
    private static func redirectingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        struct RedirectedUpgrade: Error {}
        return { request, responseWriter, channel in
            guard request.headers[.upgrade] == "websocket" else {
                return try await responder(request, responseWriter, channel)
            }
            var location = request.uri.path
            if let query = request.uri.query { location += "?\(query)" }
            try await responseWriter.writeResponse(
                HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: location]))
            // Ends the connection.
            throw RedirectedUpgrade()
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the gateway's WebSocket endpoint (`WebSocketServerChannel`).
    public static func http1WebSocket(_ controller: WebSocketController) -> HTTPServerBuilder {
        .init { responder in WebSocketServerChannel(responder: responder, controller: controller) }
    }
}
