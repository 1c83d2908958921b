import Foundation
import Hummingbird

/// An error of the JWT API: a status and the exact message of jwt-api.md, sent as
/// `{"error": "<message>"}` (§1.2).
public struct APIError: Error, HTTPResponseError, Equatable {
    public let status: HTTPResponse.Status
    public let message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.encode(ErrorBody(error: message), status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    public static let notFound = APIError(.notFound, "Not found")
    public static let methodNotAllowed = APIError(.methodNotAllowed, "Method not allowed")
    public static let bodyTooLarge = APIError(.contentTooLarge, "Request body too large")
    public static let internalError = APIError(.internalServerError, "Internal error")
    public static let invalidJSON = APIError(.badRequest, "Invalid JSON")
}

struct ErrorBody: Encodable {
    let error: String
}
