import PostgresNIO

/// The proof behind writing without PostgreSQL's per-row foreign key checks
/// (`BulkForeignKeys.replicaRole`): every foreign key of the tables a bulk copy fills is checked
/// again, one anti-join per constraint, by `migrator verify`.
extension TargetStore {
    /// A foreign key and how many rows refer to no row through it.
    public struct DanglingReference: Sendable, Codable, Equatable {
        public var table: String
        public var constraint: String
        public var rows: Int64
    }

    /// The single-column foreign keys of `tables` (their own, not a partition's copy) with rows
    /// that refer to nothing; empty when every reference resolves.
    public func danglingReferences(in tables: [String] = Self.bulkCopyTables) async throws -> [DanglingReference] {
        let keys = try await client.query(
            """
            SELECT c.conrelid::regclass::text, c.conname, a.attname, c.confrelid::regclass::text, fa.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.conparentid = 0 AND cardinality(c.conkey) = 1
              AND c.conrelid::regclass::text = ANY(\(tables))
            ORDER BY 1, 2
            """, logger: logger)
        var constraints: [(table: String, name: String, column: String, referenced: String, referencedColumn: String)] = []
        for try await key in keys.decode((String, String, String, String, String).self) { constraints.append(key) }
        var dangling: [DanglingReference] = []
        for key in constraints {
            let sql = """
                SELECT count(*) FROM \(Self.identifier(key.table)) t
                WHERE t.\(Self.identifier(key.column)) IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM \(Self.identifier(key.referenced)) r
                    WHERE r.\(Self.identifier(key.referencedColumn)) = t.\(Self.identifier(key.column)))
                """
            for try await count in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Int64.self)
            where count > 0 {
                dangling.append(DanglingReference(table: key.table, constraint: key.name, rows: count))
            }
        }
        return dangling
    }
}
