import Hummingbird
import MessengerCore

/// Records `messenger_http_requests_total` and the latency histogram per route template
/// (jwt-api.md §6.2). /health, /metrics and /ws are not counted.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: GatewayMetrics
    static var uncountedPaths: Set<String> { ["/health", "/health/ready", "/metrics", "/ws"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.uncountedPaths.contains(request.uri.path) {
            return try await next(request, context)
        }
        let start = ContinuousClock.now
        var status = 500
        defer {
            metrics.recordHTTPRequest(
                method: request.method.rawValue, path: Self.routeLabel(context.endpointPath),
                status: status, duration: ContinuousClock.now - start)
        }
        let response = try await next(request, context)
        status = response.status.code
        return response
    }

    /// The matched route template, or `unmatched` (D-12: raw paths would make labels unbounded).
    static func routeLabel(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath.hasPrefix("/") else { return "unmatched" }
        return endpointPath
    }
}
