import PostgresNIO

/// Suspending and restoring constraints of the tables a bulk copy fills (`chats`, `chat_members`,
/// `messages`): their foreign keys (`recreate` mode), and the primary key of `messages`
/// (`suspendMessageIndexes`). PostgreSQL checks a foreign key row by row (a lookup and a
/// key-share lock per reference); re-creating the constraint checks all rows in one join instead,
/// which is what makes a large copy fast. The definitions are read from the catalog, so they stay
/// whatever the schema migrations made them.
extension TargetStore {
    /// The tables whose own foreign keys a bulk copy suspends, in write order.
    public static let bulkCopyTables = ["chats", "chat_members", "messages"]

    /// Drops the foreign keys of `tables`, recording their definitions, in one transaction.
    /// Constraints already recorded by a killed run stay recorded.
    public func suspendForeignKeys(of tables: [String] = Self.bulkCopyTables) async throws {
        try await client.transaction(logger: logger) { try await suspendConstraints(.foreignKey, of: tables, on: $0) }
    }

    /// The kinds of constraint a bulk copy suspends, as `pg_constraint.contype` spells them.
    enum SuspendableConstraint: String {
        case foreignKey = "f"
        case primaryKey = "p"
    }

    /// Records the constraints of `kind` of `tables` (their own, not a partition's copy) and drops
    /// every recorded constraint of those tables, in the caller's transaction. Constraints already
    /// recorded by a killed run stay recorded.
    func suspendConstraints(_ kind: SuspendableConstraint, of tables: [String], on connection: PostgresConnection) async throws {
        for table in tables {
            try await connection.query(
                """
                INSERT INTO migrator_suspended_constraints (table_name, constraint_name, definition)
                SELECT \(table), conname, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conrelid = \(table)::regclass AND contype::text = \(kind.rawValue) AND conparentid = 0
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        for (table, name) in try await suspended(on: connection) where tables.contains(table) {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "ALTER TABLE \(Self.identifier(table)) DROP CONSTRAINT IF EXISTS \(Self.identifier(name))"),
                logger: logger)
        }
    }

    /// Re-creates every suspended constraint (validating the rows) and forgets it, in one
    /// transaction; returns how many there were.
    @discardableResult
    public func restoreSuspendedConstraints() async throws -> Int {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                "SELECT table_name, constraint_name, definition FROM migrator_suspended_constraints ORDER BY 1, 2 FOR UPDATE",
                logger: logger)
            var constraints: [(String, String, String)] = []
            for try await row in rows.decode((String, String, String).self) { constraints.append(row) }
            for (table, name, definition) in constraints {
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "ALTER TABLE \(Self.identifier(table)) ADD CONSTRAINT \(Self.identifier(name)) \(definition)"),
                    logger: logger)
            }
            try await connection.query("DELETE FROM migrator_suspended_constraints", logger: logger)
            return constraints.count
        }
    }

    /// Names of the constraints currently suspended.
    public func suspendedConstraints() async throws -> [String] {
        try await client.withConnection { try await suspended(on: $0).map(\.name) }
    }

    func suspended(on connection: PostgresConnection) async throws -> [(table: String, name: String)] {
        let rows = try await connection.query(
            "SELECT table_name, constraint_name FROM migrator_suspended_constraints ORDER BY 1, 2", logger: logger)
        var constraints: [(table: String, name: String)] = []
        for try await (table, name) in rows.decode((String, String).self) { constraints.append((table, name)) }
        return constraints
    }

    static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
