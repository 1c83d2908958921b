import Hummingbird

/// An error of the legacy API: a status and the exact message of legacy-api.md §5, sent as
/// `{"error": "<message>"}` — or, where api_legacy answered with one of Flask's HTML error pages
/// (unknown user's avatar, forbidden upload path), as a small HTML page.
public struct LegacyError: Error, HTTPResponseError, Equatable {
    public enum Body: Sendable, Equatable {
        case json
        case html
    }

    public let status: HTTPResponse.Status
    public let message: String
    public let body: Body
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, body: Body = .json) {
        self.status = status
        self.message = message
        self.body = body
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    func response() -> Response {
        var response: Response
        switch body {
        case .json:
            response = LegacyJSONResponse.make(["error": .string(message)], status: status)
        case .html:
            response = LegacyHTML.errorPage(status: status, message: message)
        }
        for field in headers { response.headers.append(field) }
        return response
    }

    /// Session missing or invalid (legacy-api.md §2).
    static let unauthorised = LegacyError(.unauthorized, "Unauthorised")
    static let notFoundPage = LegacyError(.notFound, "The requested URL was not found on the server.", body: .html)
    static let forbiddenPage = LegacyError(.forbidden, "You don't have the permission to access the requested resource.", body: .html)
}
