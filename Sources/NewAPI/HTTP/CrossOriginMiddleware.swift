import Hummingbird

/// The JWT API's CORS rule (jwt-api.md §1.1): every response carries the wildcard headers, and any
/// OPTIONS request is answered 204 without authentication. Paths that belong to the legacy
/// application are left alone (`appliesTo` returns false), since api_legacy sent no CORS headers.
public struct CrossOriginMiddleware<Context: RequestContext>: RouterMiddleware {
    let appliesTo: @Sendable (String) -> Bool

    public init(appliesTo: @escaping @Sendable (String) -> Bool) {
        self.appliesTo = appliesTo
    }

    static var headers: HTTPFields {
        [
            .accessControlAllowOrigin: "*",
            .accessControlAllowMethods: "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            .accessControlAllowHeaders: "Content-Type, Authorization, X-Requested-With",
            .accessControlMaxAge: "86400",
        ]
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard appliesTo(request.uri.path) else {
            return try await next(request, context)
        }
        if request.method == .options {
            return Response(status: .noContent, headers: Self.headers)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers.append(contentsOf: Self.headers)
        return response
    }
}
