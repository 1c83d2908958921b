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
        // Runs before every authenticated request: a named prepared statement, planned once per
        // connection.
        for try await row in try await database.execute(AccountStatusStatement(userID: userID), logger: logger) {
            return row
        }
        return nil
    }
}

struct AccountStatusStatement: PostgresPreparedStatement {
    static let name = "account_status_v1"
    static let sql = "SELECT is_active, is_blocked, is_admin FROM users WHERE id = $1"
    static let bindingDataTypes: [PostgresDataType] = [.int8]
    let userID: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(userID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> AccountStatus {
        let (active, blocked, admin) = try row.decode((Bool, Bool, Bool).self)
        return AccountStatus(isActive: active, isBlocked: blocked, isAdmin: admin)
    }
}
