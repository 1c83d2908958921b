import Hummingbird

/// What the JWT API's controllers need from the request context beyond Hummingbird's.
public protocol NewAPIRequestContext: RequestContext {
    /// The client's IP address, for per-IP rate limits.
    var clientIP: String { get }
}
