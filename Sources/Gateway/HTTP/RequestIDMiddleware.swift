import HTTPTypes
import Hummingbird
import MessengerCore

/// Gives each request an id: the caller's `X-Request-ID` when it is a sane token (a proxy's id
/// keeps one trail across hops), else Hummingbird's. It is on every log line of the request and
/// echoed in the response.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Always valid; optional only because the initializer validates arbitrary names.
    static var header: HTTPField.Name? { HTTPField.Name("X-Request-ID") }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let incoming = Self.header.flatMap { request.headers[$0] }.flatMap(Self.acceptable)
        let id = incoming ?? context.id
        var response = try await RequestLogging.$requestID.withValue(id) {
            try await next(request, context)
        }
        if let header = Self.header { response.headers[header] = id }
        return response
    }

    /// Up to 64 characters of `[A-Za-z0-9._-]`: nothing that could forge log structure.
    static func acceptable(_ value: String) -> String? {
        guard (1...64).contains(value.utf8.count),
              value.utf8.allSatisfy({ $0 == 0x2D || $0 == 0x2E || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
        else { return nil }
        return value
    }
}
