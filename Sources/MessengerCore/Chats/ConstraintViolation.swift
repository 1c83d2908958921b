import PostgresNIO

/// A constraint violation reported by PostgreSQL, recognised by SQLSTATE and constraint name
/// (D-20), never by the message text.
enum ConstraintViolation: Equatable {
    case unique(constraint: String?)
    case foreignKey(constraint: String?)

    init?(_ error: any Error) {
        guard let info = (error as? PSQLError)?.serverInfo else { return nil }
        switch info[.sqlState] {
        case "23505": self = .unique(constraint: info[.constraintName])
        case "23503": self = .foreignKey(constraint: info[.constraintName])
        default: return nil
        }
    }
}
