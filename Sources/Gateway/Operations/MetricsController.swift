import Hummingbird
import MessengerCore
import NewAPI

/// GET /metrics in Prometheus text format. Behind `METRICS_TOKEN` (a bearer token, compared in
/// constant time) when that is set; on the main listener only when `METRICS_PORT` is not set.
struct MetricsController<Context: RequestContext> {
    let metrics: GatewayMetrics
    let token: String?

    func addRoutes(to router: Router<Context>) {
        router.get("/metrics") { request, _ in
            if let token {
                let presented = request.headers[.authorization] ?? ""
                guard ConstantTime.equals(presented, "Bearer \(token)") else {
                    throw APIError(.unauthorized, "Unauthorized")
                }
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
    }

}
