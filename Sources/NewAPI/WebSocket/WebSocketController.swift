import Hummingbird
import HummingbirdWebSocket
import Logging
import MessengerCore

/// `GET /ws` (jwt-api.md §5): one `WebSocketSession` per socket, behind the per-IP connect limit.
/// The protocol lives in the session; this only wires it up.
public struct WebSocketController: Sendable {
    let core: CoreServices
    let limits: WebSocketLimits

    public init(core: CoreServices, limits: WebSocketLimits = WebSocketLimits()) {
        self.core = core
        self.limits = limits
    }

    /// Registers `/ws` when the router's context can upgrade. `NewAPIRoutes.register` does not
    /// require `WebSocketRequestContext` of its context, so the capability is looked up at run
    /// time; the gateway's context has it, and a router without it gets no `/ws`.
    public func addRoutes<Context: NewAPIRequestContext>(to router: Router<Context>) {
        guard let upgradable = router as? any WebSocketRouteTarget else {
            core.logger.error("router context cannot upgrade to WebSocket: /ws not registered")
            assertionFailure("the gateway's request context must conform to WebSocketRequestContext")
            return
        }
        upgradable.addWebSocketRoute(self)
    }

    func addRoutes<Context: NewAPIRequestContext & WebSocketRequestContext>(upgradingOn router: Router<Context>) {
        router.ws("/ws") { inbound, outbound, context in
            // The query may hold a token: it is read here and never logged (D-35).
            let token = context.request.uri.queryParameters["token"].map(String.init)
            await serve(inbound: inbound, outbound: outbound, clientIP: context.requestContext.clientIP, queryToken: token)
        }
    }

    /// One socket, from the upgrade to its close. The connect limit is checked by the session
    /// once the socket is open (see `WebSocketSession.open`).
    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, clientIP: String, queryToken: String?) async {
        let metrics = GatewayMetrics.shared
        metrics.webSocketConnectionsTotal.increment()
        metrics.webSocketConnectionsActive.increment()
        // Every way out of `run` passes here, so the gauge stays exact.
        defer { metrics.webSocketConnectionsActive.decrement() }
        let session = WebSocketSession(core: core, limits: limits, logger: core.logger)
        let connection = WebSocketConnection(session: session, limits: limits, logger: core.logger)
        await connection.run(inbound: inbound, outbound: outbound, clientIP: clientIP, queryToken: queryToken)
    }
}

/// A router whose context supports the WebSocket upgrade.
protocol WebSocketRouteTarget {
    func addWebSocketRoute(_ controller: WebSocketController)
}

extension Router: WebSocketRouteTarget where Context: NewAPIRequestContext & WebSocketRequestContext {
    func addWebSocketRoute(_ controller: WebSocketController) {
        controller.addRoutes(upgradingOn: self)
    }
}
