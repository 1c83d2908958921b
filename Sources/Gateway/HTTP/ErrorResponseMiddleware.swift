import Hummingbird
import MessengerCore
import NewAPI

/// Turns every error into a response at one place, the edge: contract errors keep their status and
/// message, framework errors get the JSON shape of jwt-api.md §1.2, and anything unexpected is
/// logged, counted when it is a dependency's failure (PostgreSQL, Redis, object store), and answered
/// 500 `Internal error` without internals.
struct ErrorResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            return try Self.contractError(for: error.status).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            return try error.response(from: request, context: context)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            GatewayMetrics.shared.recordFailure(error)
            return try APIError.internalError.response(from: request, context: context)
        }
    }

    /// Hummingbird's own errors (no route, body too large, undecodable body) in the contract's words.
    static func contractError(for status: HTTPResponse.Status) -> APIError {
        switch status {
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .contentTooLarge: .bodyTooLarge
        case .badRequest: .invalidJSON
        case .internalServerError: .internalError
        default: APIError(status, status.reasonPhrase)
        }
    }
}
