import JWTKit

/// The claims of both token kinds (jwt-api.md §4.1). `type` alone tells an access token from a
/// refresh token; `jti` makes every refresh token unique and keys its stored row.
public struct TokenClaims: JWTPayload, Equatable {
    public enum Kind: String, Sendable {
        case access
        case refresh
    }

    public var exp: Int64
    public var iat: Int64
    public var isAdmin: Bool
    public var sub: String
    public var type: String
    public var jti: String?

    enum CodingKeys: String, CodingKey {
        case exp, iat, sub, type, jti
        case isAdmin = "is_admin"
    }

    public var userID: Int64? {
        guard let id = Int64(sub), id > 0, String(id) == sub else { return nil }
        return id
    }

    public var kind: Kind? { Kind(rawValue: type) }

    /// Expiry is checked by `TokenService` against its own clock, so it can be tested.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
