import Logging
import PostgresNIO

extension PostgresClient {
    /// Kept as the chats code's name for `transaction(logger:_:)` (Database/DatabaseClient.swift),
    /// which unwraps postgres-nio's `PostgresTransactionError` so domain errors reach the caller.
    func withDomainTransaction<Result>(
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        try await transaction(logger: logger, isolation: isolation, body)
    }
}
