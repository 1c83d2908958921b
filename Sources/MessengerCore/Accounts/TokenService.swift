import Crypto
import Foundation
import JWTKit

/// Issues and verifies the HS256 tokens of jwt-api.md §4, and hashes refresh tokens for storage.
public struct TokenService: Sendable {
    public enum VerificationFailure: Error, Equatable, Sendable {
        /// Malformed, bad signature, wrong algorithm, expired, or an unusable `sub`.
        case invalid
        /// A valid token of the other kind.
        case wrongKind
    }

    public let accessTTL: Int64
    public let refreshTTL: Int64
    private let keys: JWTKeyCollection
    private let refreshHashKey: SymmetricKey
    /// api_cpp hashed refresh tokens with this public constant (D-5); rows it wrote are still
    /// honoured once, so sessions survive the migration.
    static let legacyRefreshHashKey = SymmetricKey(data: Data("refresh-hash-key".utf8))

    public init(jwtSecret: String, refreshTokenHashKey: String, accessTTL: Int, refreshTTL: Int) async {
        let encoder = JSONEncoder()
        // Compact, alphabetical claims: the byte layout of the reference tokens (§4.1 vector).
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let serializer = DefaultJWTSerializer(jsonEncoder: encoder)
        let keys = JWTKeyCollection(defaultJWTSerializer: serializer)
        // The key's own serializer is what signs; it does not inherit the collection's default.
        await keys.add(hmac: HMACKey(from: jwtSecret), digestAlgorithm: .sha256, serializer: serializer)
        self.keys = keys
        self.refreshHashKey = SymmetricKey(data: Data(refreshTokenHashKey.utf8))
        self.accessTTL = Int64(accessTTL)
        self.refreshTTL = Int64(refreshTTL)
    }

    public func issueAccessToken(userID: Int64, isAdmin: Bool, now: Date = Date()) async throws -> String {
        let issued = Int64(now.timeIntervalSince1970)
        return try await keys.sign(TokenClaims(
            exp: issued + accessTTL, iat: issued, isAdmin: isAdmin, sub: String(userID), type: TokenClaims.Kind.access.rawValue,
            jti: nil))
    }

    public func issueRefreshToken(userID: Int64, isAdmin: Bool, now: Date = Date()) async throws -> (token: String, jti: String) {
        let issued = Int64(now.timeIntervalSince1970)
        let jti = UUID().uuidString.lowercased()
        let token = try await keys.sign(TokenClaims(
            exp: issued + refreshTTL, iat: issued, isAdmin: isAdmin, sub: String(userID), type: TokenClaims.Kind.refresh.rawValue,
            jti: jti))
        return (token, jti)
    }

    /// Verifies signature (HS256 only), expiry (no leeway: `now >= exp` fails), `sub` and kind.
    public func verify(_ token: String, expecting kind: TokenClaims.Kind, now: Date = Date()) async -> Result<TokenClaims, VerificationFailure> {
        guard Self.headerNamesHS256(token),
              let claims = try? await keys.verify(token, as: TokenClaims.self),
              Int64(now.timeIntervalSince1970) < claims.exp,
              claims.userID != nil
        else { return .failure(.invalid) }
        guard claims.kind == kind else { return .failure(.wrongKind) }
        return .success(claims)
    }

    /// jwt-kit checks the signature with the configured key whatever `alg` the header names; the
    /// contract refuses every other algorithm outright (§4.1, D-7).
    /// base64url of `{"alg":"HS256","typ":"JWT"}` and `{"typ":"JWT","alg":"HS256"}`.
    private static let commonHS256Headers: Set<Substring> = [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9",
    ]

    static func headerNamesHS256(_ token: String) -> Bool {
        guard let segment = token.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first else {
            return false
        }
        // Every token this service (or api_cpp) signed carries one of these exact headers; only
        // other spellings are decoded.
        if commonHS256Headers.contains(segment) { return true }
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
              let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return false }
        return header["alg"] as? String == "HS256"
    }

    /// `hex(HMAC-SHA-256(REFRESH_TOKEN_HASH_KEY, token))`: what `refresh_tokens.token_hash` holds.
    public func refreshTokenHash(_ token: String) -> String {
        Self.hex(HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: refreshHashKey))
    }

    /// The hash api_cpp stored, for rows written before the switch (§4.4 step 2).
    public func legacyRefreshTokenHash(_ token: String) -> String {
        Self.hex(HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: Self.legacyRefreshHashKey))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
