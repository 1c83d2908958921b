import Foundation
import Logging
import PostgresNIO

/// Authenticating a WebSocket with an access token (jwt-api.md §5.2, §4.5): a valid access token
/// (a refresh token does not do), of an account that exists, is active and is not blocked. A
/// success moves `users.last_activity` to now (§5.7).
public struct SocketAuthentication: Sendable {
    /// Who the socket acts for, and until when the token it presented is valid.
    public struct Grant: Sendable, Equatable {
        public let userID: Int64
        public let expiresAt: Date

        public init(userID: Int64, expiresAt: Date) {
            self.userID = userID
            self.expiresAt = expiresAt
        }
    }

    let tokens: TokenService
    let accountStatus: AccountStatusLookup
    let database: PostgresClient
    let logger: Logger

    public init(core: CoreServices) {
        self.tokens = core.tokens
        self.accountStatus = core.accountStatus
        self.database = core.database
        self.logger = core.logger
    }

    /// The grant, or nil when the token or the account is refused (one answer for every refusal,
    /// so a socket cannot probe which accounts are blocked). Throws only when the database fails.
    public func authenticate(token: String, now: Date = Date()) async throws -> Grant? {
        guard case .success(let claims) = await tokens.verify(token, expecting: .access, now: now),
              let userID = claims.userID
        else { return nil }
        guard let status = try await accountStatus.status(userID: userID), status.mayAct else { return nil }
        try await database.query("UPDATE users SET last_activity = now() WHERE id = \(userID)", logger: logger)
        return Grant(userID: userID, expiresAt: Date(timeIntervalSince1970: TimeInterval(claims.exp)))
    }
}
