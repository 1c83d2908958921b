import Logging
import PostgresNIO

extension PostgresClient {
    /// A connection pool for `settings`. The pool does nothing until `run()` is called, which the
    /// service group does for the gateway and `withRunningClient` does for one-shot commands.
    public convenience init(settings: DatabaseSettings, logger: Logger) {
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.username,
            password: settings.password, database: settings.database, tls: .disable)
        configuration.options.maximumConnections = settings.poolSize
        configuration.options.minimumConnections = 0
        configuration.options.connectionIdleTimeout = .seconds(60)
        configuration.options.additionalStartupParameters = [("application_name", settings.applicationName)]
        self.init(configuration: configuration, backgroundLogger: logger)
    }

    /// Runs `body` while the pool's background task is running, then stops the pool.
    public func withRunningClient<Result: Sendable>(
        _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            return try await body(self)
        }
    }
}

extension PostgresClient {
    /// `withTransaction`, rethrowing the body's own error (postgres-nio wraps it in
    /// `PostgresTransactionError`), so domain errors thrown inside reach the caller as themselves.
    public func transaction<Result>(
        logger: Logger,
        file: String = #file,
        line: Int = #line,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        try await PostgresTransactionError.unwrapping {
            try await withTransaction(logger: logger, file: file, line: line, isolation: isolation, body)
        }
    }
}

extension PostgresConnection {
    /// `withTransaction` on this connection (one that must stay the same, e.g. holding a session
    /// lock), rethrowing the body's own error like `PostgresClient.transaction`.
    public func transaction<Result>(
        logger: Logger,
        file: String = #file,
        line: Int = #line,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        try await PostgresTransactionError.unwrapping {
            try await withTransaction(logger: logger, file: file, line: line, isolation: isolation, body)
        }
    }
}

extension PostgresTransactionError {
    /// Runs `transaction`, rethrowing what made it fail as itself (`underlying`).
    static func unwrapping<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ transaction: () async throws -> sending Result
    ) async throws -> sending Result {
        do {
            return try await transaction()
        } catch let error as PostgresTransactionError {
            throw error.underlying
        }
    }

    /// What made the transaction fail, as itself.
    var underlying: any Error {
        closureError ?? beginError ?? commitError ?? self
    }
}
