import Hummingbird
import HummingbirdCore
import Logging
import MessengerCore
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// `GET /ws` (jwt-api.md §5): which upgrades are served, and one `WebSocketSession` per socket,
/// behind the per-IP connect limit. The protocol lives in the session, the socket's I/O in
/// `WebSocketConnectionHandler`; this only wires them up. The server side is
/// `HTTPServerBuilder.http1WebSocket` (`WebSocketServerChannel`).
public struct WebSocketController: Sendable {
    let core: CoreServices
    let limits: WebSocketLimits
    /// The server's protocol ping period (hummingbird-websocket's auto-ping default, kept).
    let keepAlive = TimeAmount.seconds(30)

    /// The limits of `WebSocketLimits`, with the configured auth timeout (`WS_AUTH_TIMEOUT_S`).
    public init(core: CoreServices) {
        var limits = WebSocketLimits()
        limits.authTimeout = .seconds(core.limits.webSocketAuthTimeoutSeconds)
        self.init(core: core, limits: limits)
    }

    public init(core: CoreServices, limits: WebSocketLimits) {
        self.core = core
        self.limits = limits
    }

    /// A plain `GET /ws` (no upgrade) reaches the router like any request and answers 200 with an
    /// empty body, as the route hummingbird-websocket registered did.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/ws") { _, _ -> HTTPResponse.Status in .ok }
    }

    /// Whether an upgrade request is for this endpoint (the router's matching: `GET`, path `/ws`,
    /// any query).
    func serves(_ head: HTTPRequestHead) -> Bool {
        head.method == .GET && URI(head.uri).path.split(separator: "/") == ["ws"]
    }

    /// The socket was upgraded: its session and handler go into the channel's pipeline. The query
    /// may hold a token: it is read here and never logged (D-35). The client's address is the
    /// connection's peer, as `GatewayRequestContext.clientIP` takes it for HTTP requests.
    func startConnection(on channel: any Channel, request head: HTTPRequestHead, requestID: String) throws {
        let token = URI(head.uri).queryParameters["token"].map(String.init)
        let clientIP = channel.remoteAddress?.ipAddress ?? "unknown"
        var logger = core.logger
        logger[metadataKey: "request_id"] = .string(requestID)
        let session = WebSocketSession(core: core, limits: limits, logger: logger)
        try channel.pipeline.syncOperations.addHandler(
            WebSocketConnectionHandler(
                session: session, limits: limits, keepAlive: keepAlive, clientIP: clientIP, queryToken: token, logger: logger))
    }
}
