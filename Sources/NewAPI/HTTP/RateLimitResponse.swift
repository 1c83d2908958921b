import Hummingbird
import MessengerCore

extension RateLimiter {
    /// Throws 429 `Too many requests` with `Retry-After` when `limit` is exhausted (jwt-api.md §10.2).
    public func enforce(_ limit: RateLimit, subject: String) async throws {
        if case .limited(let retryAfter) = await check(limit, subject: subject) {
            throw APIError(.tooManyRequests, "Too many requests", headers: [.retryAfter: String(retryAfter)])
        }
    }
}
