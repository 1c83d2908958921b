import HTTPTypes
import Hummingbird
import MessengerCore

/// Gives each request an id: the caller's `X-Request-ID` when it is a sane token
/// (`RequestLogging.acceptable`), else Hummingbird's. It is on every log line of the request and
/// echoed in the response. (A WebSocket upgrade bypasses the router: `WebSocketServerChannel`
/// does the same for its 101 response.)
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Always valid; optional only because the initializer validates arbitrary names.
    static var header: HTTPField.Name? { HTTPField.Name(RequestLogging.header) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let incoming = Self.header.flatMap { request.headers[$0] }.flatMap(RequestLogging.acceptable)
        let id = incoming ?? context.id
        var response = try await RequestLogging.$requestID.withValue(id) {
            try await next(request, context)
        }
        if let header = Self.header { response.headers[header] = id }
        return response
    }
}
