import Logging
import PostgresNIO

/// What decides whether a user may act right now (jwt-api.md §4.5): checked on every
/// authenticated request, so blocking or deleting an account takes effect on the next request.
public struct AccountStatus: Sendable, Equatable {
    public let isActive: Bool
    public let isBlocked: Bool
    public let isAdmin: Bool

    public var mayAct: Bool { isActive && !isBlocked }
}

public struct AccountStatusLookup: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// The account's status, or nil when no such user exists.
    public func status(userID: Int64) async throws -> AccountStatus? {
        let rows = try await database.query(
            "SELECT is_active, is_blocked, is_admin FROM users WHERE id = \(userID)", logger: logger)
        for try await (active, blocked, admin) in rows.decode((Bool, Bool, Bool).self) {
            return AccountStatus(isActive: active, isBlocked: blocked, isAdmin: admin)
        }
        return nil
    }
}
