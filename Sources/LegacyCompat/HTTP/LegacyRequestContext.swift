import Hummingbird

/// What the legacy routes need from the gateway's request context.
public protocol LegacyRequestContext: RequestContext {
    /// The client's IP address, for the shared login and registration rate limits.
    var clientIP: String { get }
    /// The session of the request's cookie, set by ``LegacyEdgeMiddleware`` before the route runs;
    /// nil when the request carries no valid session.
    var legacySession: LegacySession? { get set }
}
