import PostgresNIO

/// How a bulk copy avoids PostgreSQL's per-row foreign key checks (a lookup and a key-share lock
/// on the referenced row for every reference, most of the cost of a COPY into `messages`).
///
/// The migrator only writes references it has checked against the rows it copied (or that the
/// target already holds), so the per-row checks find nothing; `migrator verify` checks every
/// foreign key of the copied tables again.
public enum BulkForeignKeys: String, Sendable, CaseIterable, Codable {
    /// `replicaRole` when the role may set `session_replication_role`, `recreate` otherwise.
    case auto
    /// The bulk transactions run with `session_replication_role = replica`, under which
    /// PostgreSQL fires no foreign key trigger (as `pg_restore --disable-triggers` does). The
    /// constraints stay in place and valid. Needs a superuser, or on PostgreSQL 15 and later
    /// `GRANT SET ON PARAMETER session_replication_role`.
    case replicaRole = "replica-role"
    /// The constraints are dropped for the copy and re-created at its end, which validates every
    /// row once (`TargetStore+ForeignKeys.swift`). Works for any role that owns the tables.
    case recreate
}

extension TargetStore {
    /// Whether this connection's role may set `session_replication_role`.
    public func maySetReplicaRole() async -> Bool {
        do {
            try await client.withConnection { connection in
                try await connection.query("SET session_replication_role = replica", logger: logger)
                try await connection.query("RESET session_replication_role", logger: logger)
            }
            return true
        } catch {
            return false
        }
    }

    /// The first statement of every bulk write transaction: with `skipsForeignKeyTriggers`, the
    /// transaction runs in the replica role. `SET LOCAL` ends with the transaction, so a pooled
    /// connection never keeps it.
    func beginBulkWrite(on connection: PostgresConnection) async throws {
        guard skipsForeignKeyTriggers else { return }
        try await connection.query("SET LOCAL session_replication_role = replica", logger: logger)
    }
}
