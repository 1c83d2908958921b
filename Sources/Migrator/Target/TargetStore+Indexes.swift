import PostgresNIO

/// Dropping and rebuilding the secondary indexes of `messages` around a bulk copy. Every copied
/// row costs an insertion into each B-tree of its partition; building an index once over the
/// finished partitions is a sort, several times cheaper. The primary key stays: it is what the
/// resume and conflict checks look ids up by. Partial indexes (`sticker_id`, `file_id`) stay too:
/// few rows enter them, while building one costs a scan of every partition. Definitions come from
/// the catalog, so they stay whatever the schema migrations made them.
extension TargetStore {
    /// Drops the secondary (non-unique, non-partial) indexes of `messages`, recording their
    /// definitions, in one transaction. Indexes already recorded by a killed run stay recorded.
    public func suspendMessageIndexes() async throws {
        try await client.transaction(logger: logger) { try await suspendMessageIndexes(on: $0) }
    }

    /// `suspendMessageIndexes` inside the caller's transaction.
    func suspendMessageIndexes(on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO migrator_suspended_indexes (table_name, index_name, definition)
            SELECT 'messages', c.relname, replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ')
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'messages'::regclass AND NOT i.indisunique AND i.indpred IS NULL
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ON CONFLICT DO NOTHING
            """, logger: logger)
        for index in try await suspendedIndexes(on: connection) {
            try await connection.query(
                PostgresQuery(unsafeSQL: "DROP INDEX IF EXISTS \(Self.identifier(index.name))"), logger: logger)
        }
    }

    /// Builds every suspended index again, on two connections at once (the builds only share a
    /// SHARE lock on `messages`); each build and the removal of its record are one transaction.
    /// Returns how many there were.
    @discardableResult
    public func restoreSuspendedIndexes() async throws -> Int {
        let indexes = try await suspendedIndexes()
        guard !indexes.isEmpty else { return 0 }
        let lanes = [0, 1].map { lane in indexes.enumerated().filter { $0.offset % 2 == lane }.map(\.element) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in lanes where !lane.isEmpty {
                group.addTask {
                    try await client.withConnection { connection in
                        for index in lane {
                            try await rebuild(index, on: connection)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return indexes.count
    }

    func rebuild(_ index: SuspendedIndex, on connection: PostgresConnection) async throws {
        try await connection.transaction(logger: logger) { connection in
            // An index that exists already (created by hand after a killed run) is not built twice.
            let rows = try await connection.query(
                """
                SELECT to_regclass(\(index.name)) IS NULL FROM migrator_suspended_indexes
                WHERE table_name = \(index.table) AND index_name = \(index.name) FOR UPDATE
                """, logger: logger)
            var absent: Bool?
            for try await value in rows.decode(Bool.self) { absent = value }
            if absent == true {
                try await connection.query(PostgresQuery(unsafeSQL: index.definition), logger: logger)
            }
            try await connection.query(
                "DELETE FROM migrator_suspended_indexes WHERE table_name = \(index.table) AND index_name = \(index.name)",
                logger: logger)
        }
    }

    /// Builds `index` on the partition of `month` alone, named as PostgreSQL names a partition's
    /// index (`IF NOT EXISTS`: a killed run may have built it). CREATE INDEX on `messages` later
    /// attaches it (see `EarlyIndexBuilder`).
    func build(_ index: SuspendedIndex, onPartitionOf month: MonthOfYear) async throws {
        guard let method = index.definition.range(of: " USING ") else { return }
        let partition = month.partitionName
        let name = index.name.hasPrefix("messages_")
            ? partition + index.name.dropFirst("messages".count) : "\(partition)_\(index.name)"
        try await client.query(
            PostgresQuery(
                unsafeSQL: "CREATE INDEX IF NOT EXISTS \(Self.identifier(name)) ON \(Self.identifier(partition))\(index.definition[method.lowerBound...])"),
            logger: logger)
    }

    /// The indexes currently suspended, with their definitions.
    func suspendedIndexes() async throws -> [SuspendedIndex] {
        try await client.withConnection { try await suspendedIndexes(on: $0) }
    }

    struct SuspendedIndex: Sendable {
        let table: String
        let name: String
        let definition: String
    }

    /// Names of the indexes currently suspended.
    public func suspendedIndexNames() async throws -> [String] {
        try await suspendedIndexes().map(\.name)
    }

    func suspendedIndexes(on connection: PostgresConnection) async throws -> [SuspendedIndex] {
        let rows = try await connection.query(
            "SELECT table_name, index_name, definition FROM migrator_suspended_indexes ORDER BY 1, 2", logger: logger)
        var indexes: [SuspendedIndex] = []
        for try await (table, name, definition) in rows.decode((String, String, String).self) {
            indexes.append(SuspendedIndex(table: table, name: name, definition: definition))
        }
        return indexes
    }
}
