import Logging
import PostgresNIO

/// Applies pending schema migrations, each exactly once, even when several gateways start at once.
///
/// All work happens on one connection holding a session-level advisory lock, so a second runner
/// waits and then finds everything applied. Each file runs in its own transaction together with
/// its bookkeeping row, so a failing file leaves no trace.
public struct SchemaMigrationRunner: Sendable {
    /// Arbitrary but fixed: the advisory-lock key all gateways agree on.
    static let advisoryLockKey: Int64 = 0x6D65_7373_656E_6731

    public let client: PostgresClient
    public let migrations: [SchemaMigration]
    public let logger: Logger

    public init(client: PostgresClient, migrations: [SchemaMigration], logger: Logger) {
        self.client = client
        self.migrations = migrations
        self.logger = logger
    }

    /// Returns the versions this call applied.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
            do {
                let applied = try await applyPending(on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                throw error
            }
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [Int] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        var appliedChecksums: [Int: String] = [:]
        let rows = try await connection.query("SELECT version, checksum FROM schema_migrations", logger: logger)
        for try await (version, checksum) in rows.decode((Int, String).self) {
            appliedChecksums[version] = checksum
        }
        let known = Set(migrations.map(\.version))
        if let unknown = appliedChecksums.keys.sorted().first(where: { !known.contains($0) }) {
            throw SchemaMigrationError.appliedButMissing(version: unknown)
        }
        var newlyApplied: [Int] = []
        for migration in migrations {
            if let checksum = appliedChecksums[migration.version] {
                guard checksum == migration.checksum else {
                    throw SchemaMigrationError.checksumMismatch(version: migration.version, name: migration.name)
                }
                continue
            }
            logger.info("applying schema migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            // The file and its bookkeeping row commit in one transaction: a failing file leaves no trace.
            try await connection.transaction(logger: logger) { connection in
                for statement in SQLScript.statements(in: migration.sql) {
                    do {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    } catch let error as PSQLError {
                        throw SchemaMigrationError.statementFailed(
                            version: migration.version, statement: String(statement.prefix(120)),
                            reason: error.serverInfo?[.message] ?? "\(error.code)")
                    }
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger)
            }
            newlyApplied.append(migration.version)
        }
        return newlyApplied
    }

}
