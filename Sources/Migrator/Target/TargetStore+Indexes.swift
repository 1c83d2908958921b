import PostgresNIO

/// Dropping and rebuilding indexes of `messages` around a bulk copy. Every copied row costs an
/// insertion into each B-tree of its partition; building an index once over a finished partition
/// is a sort, several times cheaper. Suspended: the primary key (recorded with the suspended
/// constraints and added back as a constraint, see `suspendMessageIndexes(on:)`) and the
/// secondary full indexes. Partial indexes (`sticker_id`, `file_id`) stay: few rows enter them, while
/// building one costs a scan of every partition. Definitions come from the catalog, so they stay
/// whatever the schema migrations made them.
extension TargetStore {
    /// Drops the primary key and the secondary (non-unique, non-partial) indexes of `messages`,
    /// recording their definitions, in one transaction. What a killed run recorded stays recorded.
    public func suspendMessageIndexes() async throws {
        try await client.transaction(logger: logger) { try await suspendMessageIndexes(on: $0) }
    }

    /// `suspendMessageIndexes` inside the caller's transaction.
    func suspendMessageIndexes(on connection: PostgresConnection) async throws {
        // The primary key too, so the copy inserts into no unique index at all: ~0.6 s of
        // PostgreSQL's CPU per million messages, against ~0.25 s to build the keys per partition
        // (`build(_:onPartitionOf:)`). The ids cannot collide meanwhile: each batch is COPYed once,
        // in the transaction that moves the checkpoint past it, and the gateway draws its ids from
        // a sequence the run has moved past the legacy ones. Adding the key back
        // (`restoreSuspendedConstraints`) checks every row anyway, and a duplicate fails the run.
        try await suspendConstraints(.primaryKey, of: ["messages"], on: connection)
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

    /// The suspended primary key of `messages`, if it is suspended.
    func suspendedMessagePrimaryKey() async throws -> SuspendedPrimaryKey? {
        try await client.withConnection { try await suspendedMessagePrimaryKey(on: $0) }
    }

    func suspendedMessagePrimaryKey(on connection: PostgresConnection) async throws -> SuspendedPrimaryKey? {
        let rows = try await connection.query(
            """
            SELECT constraint_name, definition FROM migrator_suspended_constraints
            WHERE table_name = 'messages' AND definition LIKE 'PRIMARY KEY %'
            """, logger: logger)
        for try await (name, definition) in rows.decode((String, String).self) {
            return SuspendedPrimaryKey(name: name, definition: definition)
        }
        return nil
    }

    struct SuspendedPrimaryKey: Sendable {
        let name: String
        /// As `pg_get_constraintdef` gives it: `PRIMARY KEY (id, created_at)`.
        let definition: String
    }

    /// Gives the partition of `month` its own primary key, named as PostgreSQL names a
    /// partition's (`<partition>_pkey`), unless it has one (a killed run may have built it).
    /// Adding the key to `messages` later attaches it instead of building it again.
    func build(_ key: SuspendedPrimaryKey, onPartitionOf month: MonthOfYear) async throws {
        let partition = month.partitionName
        try await client.withConnection { connection in
            let rows = try await connection.query(
                "SELECT count(*) FROM pg_constraint WHERE conrelid = to_regclass(\(partition)) AND contype = 'p'", logger: logger)
            var existing: Int64 = 0
            for try await count in rows.decode(Int64.self) { existing = count }
            guard existing == 0 else { return }
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "ALTER TABLE \(Self.identifier(partition)) ADD CONSTRAINT \(Self.identifier(partition + "_pkey")) \(key.definition)"),
                logger: logger)
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
