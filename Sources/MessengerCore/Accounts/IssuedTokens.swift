/// The tokens a successful login or refresh hands out (jwt-api.md §3.1.2, §3.1.3).
public struct IssuedTokens: Sendable, Equatable {
    public let userID: Int64
    public let accessToken: String
    /// Already stored (hashed) when this value exists: the response may be sent.
    public let refreshToken: String
    /// The access token's lifetime in seconds (`JWT_ACCESS_TTL`).
    public let expiresIn: Int64
}
