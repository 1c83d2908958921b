import Foundation
import MessengerCore
import NIOCore
import PostgresNIO

/// Each batch is one transaction holding the rows, their digests and the table's checkpoint, so
/// a run killed at any moment leaves either the whole batch or none of it.
extension TargetStore {
    /// A stored object a files row is made for (or found by bucket and key).
    public struct FileRegistration: Sendable {
        public var object: ObjectReference
        public var uploaderID: Int64
        public var sizeBytes: Int64?
        public var createdAt: Int64
    }

    // MARK: users

    public func writeUsers(_ users: [MigratedUser], avatarSizes: [ObjectReference: Int64]) async throws {
        guard !users.isEmpty else { return }
        var stage = CopyTextEncoder()
        for user in users {
            stage.integer(user.id)
            stage.text(user.username)
            stage.text(user.passwordHash)
            stage.text(user.displayName)
            stage.text(user.bio)
            stage.timestamp(microseconds: user.createdAt)
            stage.text(user.avatar?.bucket)
            stage.text(user.avatar?.key)
            stage.text(user.avatar?.filename)
            stage.text(user.avatar.map { LegacyMapping.contentType(forKey: $0.key) })
            stage.integer(user.avatar.flatMap { avatarSizes[$0] })
            stage.bytea(user.digest)
            stage.endRow()
        }
        try await writeStagedBatch(
            .users, stage: "migrator_stage_users",
            columns: """
                id bigint, username text, password_hash text, display_name text, bio text, created_at timestamptz,
                avatar_bucket text, avatar_key text, avatar_filename text, avatar_mime text, avatar_size bigint, digest bytea
                """,
            rows: stage, count: users.count, lastSourceID: users.last?.id ?? 0
        ) { connection in
            try await connection.query(
                """
                INSERT INTO users (id, username, password_hash, display_name, bio, created_at, updated_at)
                SELECT id, username, password_hash, display_name, bio, created_at, created_at FROM migrator_stage_users
                ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, password_hash = EXCLUDED.password_hash,
                    display_name = EXCLUDED.display_name, bio = EXCLUDED.bio, created_at = EXCLUDED.created_at
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type, size_bytes, created_at)
                SELECT id, avatar_bucket, avatar_key, avatar_filename, avatar_mime, avatar_size, created_at
                FROM migrator_stage_users WHERE avatar_key IS NOT NULL
                ON CONFLICT (bucket, object_key) DO NOTHING
                """, logger: logger)
            try await connection.query(
                """
                UPDATE users u SET avatar_file_id = f.id
                FROM migrator_stage_users s LEFT JOIN files f ON f.bucket = s.avatar_bucket AND f.object_key = s.avatar_key
                WHERE u.id = s.id AND u.avatar_file_id IS DISTINCT FROM f.id
                """, logger: logger)
        }
    }

    // MARK: settings

    public func writeSettings(_ settings: [MigratedSettings]) async throws {
        guard !settings.isEmpty else { return }
        var stage = CopyTextEncoder()
        for row in settings {
            stage.integer(row.userID)
            stage.text(row.theme)
            stage.boolean(row.notificationsEnabled)
            stage.text(row.language)
            stage.bytea(row.digest)
            stage.endRow()
        }
        try await writeStagedBatch(
            .userSettings, stage: "migrator_stage_settings",
            columns: "user_id bigint, theme text, notifications_enabled boolean, language text, digest bytea",
            rows: stage, count: settings.count, lastSourceID: settings.last?.userID ?? 0, idColumn: "user_id"
        ) { connection in
            try await connection.query(
                """
                INSERT INTO user_settings (user_id, theme, notifications_enabled, language)
                SELECT user_id, theme, notifications_enabled, language FROM migrator_stage_settings
                ON CONFLICT (user_id) DO UPDATE SET theme = EXCLUDED.theme,
                    notifications_enabled = EXCLUDED.notifications_enabled, language = EXCLUDED.language
                """, logger: logger)
        }
    }

    // MARK: stickers

    /// Packs by name (legacy stickers carry only a pack name), sticker ids preserved, one files row
    /// per image in the stickers bucket. Legacy stickers have no uploader: the files rows name
    /// `uploaderID` (the lowest migrated user id).
    public func writeStickers(_ stickers: [MigratedSticker], uploaderID: Int64) async throws {
        guard !stickers.isEmpty else { return }
        var stage = CopyTextEncoder()
        for sticker in stickers {
            stage.integer(sticker.id)
            stage.text(sticker.packName)
            stage.text(sticker.label)
            stage.text(sticker.image.bucket)
            stage.text(sticker.image.key)
            stage.text(sticker.image.filename)
            stage.text(LegacyMapping.contentType(forKey: sticker.image.key))
            stage.bytea(sticker.digest)
            stage.endRow()
        }
        try await writeStagedBatch(
            .stickers, stage: "migrator_stage_stickers",
            columns: "id bigint, pack_name text, label text, bucket text, object_key text, filename text, mime text, digest bytea",
            rows: stage, count: stickers.count, lastSourceID: stickers.last?.id ?? 0
        ) { connection in
            try await connection.query(
                """
                INSERT INTO sticker_packs (name)
                SELECT pack_name FROM migrator_stage_stickers GROUP BY pack_name ORDER BY min(id)
                ON CONFLICT (name) DO NOTHING
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type)
                SELECT DISTINCT ON (bucket, object_key) \(uploaderID), bucket, object_key, filename, mime
                FROM migrator_stage_stickers ORDER BY bucket, object_key
                ON CONFLICT (bucket, object_key) DO NOTHING
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO stickers (id, pack_id, label, file_id)
                SELECT s.id, p.id, s.label, f.id FROM migrator_stage_stickers s
                JOIN sticker_packs p ON p.name = s.pack_name
                JOIN files f ON f.bucket = s.bucket AND f.object_key = s.object_key
                ON CONFLICT (id) DO UPDATE SET pack_id = EXCLUDED.pack_id, label = EXCLUDED.label, file_id = EXCLUDED.file_id
                """, logger: logger)
        }
    }

    // MARK: conversations

    public func writeChats(_ chats: [MigratedChat]) async throws {
        guard !chats.isEmpty else { return }
        var stage = CopyTextEncoder()
        for chat in chats {
            stage.integer(chat.id)
            stage.integer(chat.lowUserID)
            stage.integer(chat.highUserID)
            stage.timestamp(microseconds: chat.updatedAt)
            stage.bytea(chat.digest)
            stage.endRow()
        }
        try await writeStagedBatch(
            .conversations, stage: "migrator_stage_chats",
            columns: "id bigint, low_user_id bigint, high_user_id bigint, updated_at timestamptz, digest bytea",
            rows: stage, count: chats.count, lastSourceID: chats.last?.id ?? 0
        ) { connection in
            try await connection.query(
                """
                INSERT INTO chats (id, type, owner_id, direct_key, created_at, updated_at)
                SELECT id, 'direct', low_user_id, low_user_id || ':' || high_user_id, updated_at, updated_at
                FROM migrator_stage_chats
                ON CONFLICT (id) DO UPDATE SET owner_id = EXCLUDED.owner_id, direct_key = EXCLUDED.direct_key
                """, logger: logger)
            try await connection.query(
                """
                DELETE FROM chat_members m USING migrator_stage_chats s
                WHERE m.chat_id = s.id AND m.user_id <> s.low_user_id AND m.user_id <> s.high_user_id
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO chat_members (chat_id, user_id, role, joined_at)
                SELECT id, low_user_id, 'owner', updated_at FROM migrator_stage_chats
                UNION ALL
                SELECT id, high_user_id, 'member', updated_at FROM migrator_stage_chats WHERE high_user_id <> low_user_id
                ON CONFLICT (chat_id, user_id) DO UPDATE SET role = EXCLUDED.role
                """, logger: logger)
        }
    }

    /// Chats none of whose ids the target holds (the run's conflict check found none, and no
    /// digest was ever recorded for them): COPYed straight into chats, chat_members and the
    /// digests, without the staging and merging a changed chat needs. A row the target gained
    /// meanwhile under one of these ids fails the batch instead of being overwritten.
    public func writeNewChats(_ chats: [MigratedChat]) async throws {
        guard !chats.isEmpty else { return }
        var chatRows = CopyTextEncoder()
        var memberRows = CopyTextEncoder()
        var digestRows = CopyTextEncoder()
        for chat in chats {
            chatRows.integer(chat.id)
            chatRows.text("direct")
            chatRows.integer(chat.lowUserID)
            chatRows.text(chat.directKey)
            chatRows.timestamp(microseconds: chat.updatedAt)
            chatRows.timestamp(microseconds: chat.updatedAt)
            chatRows.endRow()
            for member in chat.members {
                memberRows.integer(chat.id)
                memberRows.integer(member)
                memberRows.text(member == chat.lowUserID ? "owner" : "member")
                memberRows.timestamp(microseconds: chat.updatedAt)
                memberRows.endRow()
            }
            digestRows.text(MigratedTable.conversations.rawValue)
            digestRows.integer(chat.id)
            digestRows.bytea(chat.digest)
            digestRows.endRow()
        }
        try await client.transaction(logger: logger) { connection in
            try await beginBulkWrite(on: connection)
            try await copy(chatRows, into: "chats", columns: ["id", "type", "owner_id", "direct_key", "created_at", "updated_at"], on: connection)
            try await copy(memberRows, into: "chat_members", columns: ["chat_id", "user_id", "role", "joined_at"], on: connection)
            try await copy(digestRows, into: "migrator_row_digests", columns: ["source_table", "source_id", "digest"], on: connection)
            try await advanceCheckpoint(.conversations, to: chats.last?.id ?? 0, rows: chats.count, on: connection)
        }
    }

    // MARK: messages

    /// One batch of mapped messages and the voice files they refer to.
    public struct MessageBatchWrite: Sendable {
        public var messages: [MigratedMessage]
        public var voiceFiles: [FileRegistration]
        /// The last source id the batch covers (skipped rows included): the new checkpoint.
        public var lastSourceID: Int64
    }

    /// Up to two consecutive batches, COPYed at the same time on two connections (PostgreSQL
    /// spends a core per backend on index upkeep) and committed in order, each with its
    /// checkpoint: the second commits only after the first did, so the checkpoint never passes a
    /// batch that is not stored. The voice files rows are committed first, in their own
    /// transaction (registering one twice finds the existing row).
    public func writeMessages(_ batches: [MessageBatchWrite]) async throws {
        guard !batches.isEmpty, batches.count <= 2 else { return }
        var fileIDs: [ObjectReference: Int64] = [:]
        let files = batches.flatMap(\.voiceFiles)
        if !files.isEmpty {
            fileIDs = try await client.transaction(logger: logger) { try await registerFiles(files, on: $0) }
        }
        let ids = fileIDs
        try await client.withConnection { first in
            try await client.withConnection { second in
                let connections = Array([first, second].prefix(batches.count))
                do {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (batch, connection) in zip(batches, connections) {
                            group.addTask {
                                try await connection.query("BEGIN", logger: logger)
                                try await beginBulkWrite(on: connection)
                                try await copyMessages(batch.messages, fileIDs: ids, on: connection)
                            }
                        }
                        try await group.waitForAll()
                    }
                    for (batch, connection) in zip(batches, connections) {
                        try await advanceCheckpoint(.messages, to: batch.lastSourceID, rows: batch.messages.count, on: connection)
                        try await connection.query("COMMIT", logger: logger)
                    }
                } catch {
                    for connection in connections {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                    }
                    throw error
                }
            }
        }
    }

    /// The batch's rows COPYed straight into their monthly partitions (the partitions exist: see
    /// `ensurePartitions`): PostgreSQL then skips routing each row through the partitioned table,
    /// ~15 % of a COPY's cost here.
    func copyMessages(_ messages: [MigratedMessage], fileIDs: [ObjectReference: Int64], on connection: PostgresConnection) async throws {
        var rowsByMonth: [MonthOfYear: CopyTextEncoder] = [:]
        var month = MonthOfYear(year: 1970, month: 1)
        var monthRange: Range<Int64> = 0..<0
        var rows = CopyTextEncoder(capacity: 0)
        for message in messages {
            if !monthRange.contains(message.createdAt) {
                // Consecutive messages share a month: the dictionary is touched only when it changes.
                if rows.rowCount > 0 { rowsByMonth[month] = rows }
                month = MonthOfYear(microseconds: message.createdAt)
                monthRange = month.microseconds
                rows = rowsByMonth.removeValue(forKey: month) ?? CopyTextEncoder(capacity: messages.count * 96)
            }
            rows.message(message, fileID: message.voice.flatMap { fileIDs[$0] })
        }
        if rows.rowCount > 0 { rowsByMonth[month] = rows }
        for (month, rows) in rowsByMonth.sorted(by: { $0.key < $1.key }) {
            try await copy(rows, into: month.partitionName, columns: CopyTextEncoder.messageColumns, on: connection)
        }
    }

    func registerFiles(_ files: [FileRegistration], on connection: PostgresConnection) async throws -> [ObjectReference: Int64] {
        var stage = CopyTextEncoder()
        for file in files {
            stage.integer(file.uploaderID)
            stage.text(file.object.bucket)
            stage.text(file.object.key)
            stage.text(file.object.filename)
            stage.text(LegacyMapping.contentType(forKey: file.object.key))
            stage.integer(file.sizeBytes)
            stage.timestamp(microseconds: file.createdAt)
            stage.endRow()
        }
        try await connection.query(
            """
            CREATE TEMP TABLE IF NOT EXISTS migrator_stage_files (
                uploader_id bigint, bucket text, object_key text, filename text, mime text, size_bytes bigint, created_at timestamptz
            ) ON COMMIT DROP
            """, logger: logger)
        try await copy(stage, into: "migrator_stage_files", on: connection)
        let rows = try await connection.query(
            """
            WITH inserted AS (
                INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type, size_bytes, created_at)
                SELECT DISTINCT ON (bucket, object_key) uploader_id, bucket, object_key, filename, mime, size_bytes, created_at
                FROM migrator_stage_files ORDER BY bucket, object_key
                ON CONFLICT (bucket, object_key) DO NOTHING
                RETURNING id, bucket, object_key
            )
            SELECT id, bucket, object_key FROM inserted
            UNION ALL
            SELECT f.id, f.bucket, f.object_key FROM files f JOIN migrator_stage_files s USING (bucket, object_key)
            """, logger: logger)
        var ids: [ObjectReference: Int64] = [:]
        for try await (id, bucket, key) in rows.decode((Int64, String, String).self) {
            ids[ObjectReference(bucket: bucket, key: key)] = id
        }
        return ids
    }

    // MARK: partitions and sequences

    /// Creates the monthly partition of each (year, month) not created yet.
    public func ensurePartitions(_ months: some Sequence<MonthOfYear>) async throws {
        for month in months {
            try await ensurePartitions(from: month, count: 1)
        }
    }

    /// Creates the partitions of `count` months from `first` not created yet, in one call.
    public func ensurePartitions(from first: MonthOfYear, count: Int) async throws {
        try await client.withConnection { try await ensurePartitions(from: first, count: count, on: $0) }
    }

    func ensurePartitions(from first: MonthOfYear, count: Int, on connection: PostgresConnection) async throws {
        let day = String(format: "%04d-%02d-01", first.year, first.month)
        try await connection.query("SELECT ensure_message_partitions(\(day)::date, \(count)::integer)", logger: logger)
    }

    /// Prepares a bulk copy while `body` runs, in a transaction of its own committed only when
    /// `body` says so (a refused run changes nothing): suspends the primary key and secondary
    /// indexes of `messages` first (`suspendMessageIndexes`), so that the partitions of `span`,
    /// created next, are made without them (faster by a third and more). Returns `body`'s result
    /// and the months created. Both lock `messages` (and, for the partitions' foreign keys, the
    /// tables they refer to) until the end of the transaction: `body` may read those tables but
    /// not `messages`.
    public func preparingBulkCopy<Result>(
        partitions span: (first: MonthOfYear, count: Int)?, during body: () async throws -> (result: Result, commit: Bool)
    ) async throws -> (result: Result, created: Set<MonthOfYear>) {
        guard let span else { return (try await body().result, []) }
        return try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                async let preparation: Void = {
                    try await suspendMessageIndexes(on: connection)
                    try await ensurePartitions(from: span.first, count: span.count, on: connection)
                }()
                let (result, commit) = try await body()
                try await preparation
                try await connection.query(commit ? "COMMIT" : "ROLLBACK", logger: logger)
                return (result, commit ? Set((0..<span.count).map { span.first.adding(months: $0) }) : [])
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Moves each id sequence past the copied ids and past every id the source ever handed out,
    /// never backwards, so rows the gateway creates never collide with legacy ids.
    public func advanceSequences(pastSourceIDs highest: [MigratedTable: Int64]) async throws {
        for table in [MigratedTable.users, .conversations, .stickers, .messages] {
            let target = table.targetTable
            let sql = """
                SELECT setval(pg_get_serial_sequence('\(target)', 'id'), GREATEST(
                    nextval(pg_get_serial_sequence('\(target)', 'id')) - 1,
                    (SELECT coalesce(max(id), 0) FROM \(target)), $1, 1))
                """
            var binds = PostgresBindings()
            binds.append(highest[table] ?? 0)
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
    }

    // MARK: shared steps

    /// One batch of a keyed table in one transaction: the encoded rows staged in a temporary table
    /// that dies with the transaction, merged by `merge`, then their digests and the checkpoint.
    func writeStagedBatch(
        _ table: MigratedTable, stage: String, columns: String, rows: CopyTextEncoder, count: Int, lastSourceID: Int64,
        idColumn: String = "id", merge: (PostgresConnection) async throws -> Void
    ) async throws {
        try await client.transaction(logger: logger) { connection in
            try await beginBulkWrite(on: connection)
            try await connection.query(
                PostgresQuery(unsafeSQL: "CREATE TEMP TABLE \(stage) (\(columns)) ON COMMIT DROP"), logger: logger)
            try await copy(rows, into: stage, on: connection)
            try await merge(connection)
            try await recordDigests(table, stage: stage, idColumn: idColumn, on: connection)
            try await advanceCheckpoint(table, to: lastSourceID, rows: count, on: connection)
        }
    }

    func copy(_ rows: CopyTextEncoder, into table: String, columns: [String] = [], on connection: PostgresConnection) async throws {
        try await connection.copyFrom(table: table, columns: columns, format: .text(.init()), logger: logger) { writer in
            try await writer.write(rows.buffer)
        }
    }

    func recordDigests(_ table: MigratedTable, stage: String, idColumn: String, on connection: PostgresConnection) async throws {
        var binds = PostgresBindings()
        binds.append(table.rawValue)
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO migrator_row_digests (source_table, source_id, digest)
                    SELECT $1, \(idColumn), digest FROM \(stage)
                    ON CONFLICT (source_table, source_id) DO UPDATE SET digest = EXCLUDED.digest
                    """,
                binds: binds),
            logger: logger)
    }

    func advanceCheckpoint(_ table: MigratedTable, to lastSourceID: Int64, rows: Int, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO migrator_checkpoints (source_table, last_source_id, rows_copied, updated_at)
            VALUES (\(table.rawValue), \(lastSourceID), \(Int64(rows)), now())
            ON CONFLICT (source_table) DO UPDATE SET
                last_source_id = GREATEST(migrator_checkpoints.last_source_id, EXCLUDED.last_source_id),
                rows_copied = migrator_checkpoints.rows_copied + EXCLUDED.rows_copied,
                updated_at = now()
            """, logger: logger)
    }
}

public struct MonthOfYear: Sendable, Hashable, Comparable {
    public var year: Int
    public var month: Int

    public init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    public static func < (left: MonthOfYear, right: MonthOfYear) -> Bool {
        (left.year, left.month) < (right.year, right.month)
    }

    /// The month holding a UTC timestamp in microseconds since the epoch.
    public init(microseconds: Int64) {
        let month = LegacyTimestamp.month(microseconds: microseconds)
        self.init(year: month.year, month: month.month)
    }

    /// The UTC microseconds this month covers.
    public var microseconds: Range<Int64> {
        let next = adding(months: 1)
        let start = LegacyTimestamp.daysFromCivil(year: year, month: month, day: 1) * 86_400_000_000
        return start..<(LegacyTimestamp.daysFromCivil(year: next.year, month: next.month, day: 1) * 86_400_000_000)
    }

    /// The month `count` months later.
    public func adding(months count: Int) -> MonthOfYear {
        let index = year * 12 + (month - 1) + count
        return MonthOfYear(year: index / 12, month: index % 12 + 1)
    }

    /// Months from `self` to `last`, both included; 0 when `last` is earlier.
    public func count(through last: MonthOfYear) -> Int {
        max(0, (last.year * 12 + last.month) - (year * 12 + month) + 1)
    }

    /// The partition of `messages` holding this month: the name `ensure_message_partitions`
    /// (V1__initial_schema.sql) gives it.
    public var partitionName: String {
        String(format: "messages_%04d_%02d", year, month)
    }
}
