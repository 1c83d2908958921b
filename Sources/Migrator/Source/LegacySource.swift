/// Reads api_legacy's tables in id order and in bounded batches, never holding a read lock while
/// the caller works: each call runs its query to completion.
public struct LegacySource: Sendable {
    public let database: SQLiteDatabase
    public let layout: LegacyLayout

    public init(path: String) throws {
        database = try SQLiteDatabase(readOnlyPath: path)
        layout = try LegacyLayout(reading: database)
    }

    /// The highest id of each table, read in one snapshot. Everything up to these marks is
    /// copied by one run; rows api_legacy adds meanwhile are left for the next run. Since the
    /// marks come from one snapshot and api_legacy enforces foreign keys, a message under the mark
    /// never refers to a conversation above it.
    public struct Marks: Sendable, Codable, Equatable {
        public var users: Int64
        public var conversations: Int64
        public var messages: Int64
        public var stickers: Int64
    }

    public func marks() throws -> Marks {
        try database.snapshot {
            Marks(
                users: try database.integer("SELECT coalesce(max(id), 0) FROM users") ?? 0,
                conversations: layout.generation == .v2
                    ? try database.integer("SELECT coalesce(max(id), 0) FROM conversations") ?? 0 : 0,
                messages: try database.integer("SELECT coalesce(max(id), 0) FROM messages") ?? 0,
                stickers: layout.hasStickersTable ? try database.integer("SELECT coalesce(max(id), 0) FROM stickers") ?? 0 : 0)
        }
    }

    /// The largest id the table's AUTOINCREMENT ever handed out (ids are never reused), so the
    /// target's sequences can be moved past rows that were deleted or skipped.
    public func autoincrementHighWater(_ table: String) throws -> Int64 {
        guard !(try database.columns(of: "sqlite_sequence")).isEmpty else { return 0 }
        return try database.integer("SELECT seq FROM sqlite_sequence WHERE name = ?", [.text(table)]) ?? 0
    }

    public func users(after id: Int64, upTo mark: Int64, limit: Int) throws -> [LegacyUser] {
        let sql = """
            SELECT id, username, password_hash, \(layout.user("display_name")), \(layout.user("bio")),
                   \(layout.user("avatar_path")), \(layout.user("created_at"))
            FROM users WHERE id > ? AND id <= ? ORDER BY id LIMIT ?
            """
        return try database.rows(sql, [.integer(id), .integer(mark), .integer(Int64(limit))]) { row in
            LegacyUser(
                id: row.integer(0) ?? 0, username: row.text(1), passwordHash: row.text(2),
                displayName: row.optionalText(3), bio: row.optionalText(4), avatarPath: row.optionalText(5),
                createdAt: row.optionalText(6))
        }
    }

    /// v2's settings rows; for v1 (and a v2 file without the table) nil: every user gets the
    /// default row, as the §10.2 upgrade backfills.
    public func settings(upToUser mark: Int64) throws -> [LegacySettings]? {
        guard layout.hasSettingsTable else { return nil }
        return try database.rows(
            "SELECT user_id, theme, notifications_enabled, language FROM user_settings WHERE user_id <= ? ORDER BY user_id",
            [.integer(mark)]
        ) { row in
            LegacySettings(
                userID: row.integer(0) ?? 0, theme: row.text(1), notificationsEnabled: row.integer(2), language: row.text(3))
        }
    }

    public func stickers(upTo mark: Int64) throws -> [LegacySticker] {
        guard layout.hasStickersTable else { return [] }
        return try database.rows(
            "SELECT id, pack_name, label, file_path FROM stickers WHERE id <= ? ORDER BY id", [.integer(mark)]
        ) { row in
            LegacySticker(id: row.integer(0) ?? 0, packName: row.text(1), label: row.text(2), filePath: row.text(3))
        }
    }

    /// v2: the stored conversations. v1: none (see `v1Conversations`).
    public func conversations(after id: Int64, upTo mark: Int64, limit: Int) throws -> [LegacyConversation] {
        guard layout.generation == .v2 else { return [] }
        return try database.rows(
            "SELECT id, user_a_id, user_b_id, updated_at FROM conversations WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
            [.integer(id), .integer(mark), .integer(Int64(limit))]
        ) { row in
            LegacyConversation(id: row.integer(0) ?? 0, userA: row.integer(1), userB: row.integer(2), updatedAt: row.optionalText(3))
        }
    }

    /// v1's (from, to) pairs in ascending message id, for deriving conversations exactly as the
    /// §10.2 upgrade does.
    public func v1MessagePairs(after id: Int64, upTo mark: Int64, limit: Int) throws -> [(id: Int64, from: Int64?, to: Int64?)] {
        try database.rows(
            "SELECT id, from_user_id, to_user_id FROM messages WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
            [.integer(id), .integer(mark), .integer(Int64(limit))]
        ) { row in (row.integer(0) ?? 0, row.integer(1), row.integer(2)) }
    }

    public func messages(after id: Int64, upTo mark: Int64, limit: Int) throws -> [LegacyMessage] {
        try messages(after: id, upTo: mark, limit: limit) { $0 }
    }

    /// The messages in (id, mark], at most `limit`, each handed to `transform` as it is read.
    public func messages<Row>(
        after id: Int64, upTo mark: Int64, limit: Int, _ transform: (LegacyMessage) throws -> Row
    ) throws -> [Row] {
        let v2 = layout.generation == .v2
        let sql = """
            SELECT id, \(v2 ? "conversation_id" : "NULL"), from_user_id, \(v2 ? "NULL" : "to_user_id"), content,
                   \(layout.message("message_type")), \(layout.message("attachment_path")),
                   \(layout.message("duration_seconds")), \(layout.message("created_at"))
            FROM messages WHERE id > ? AND id <= ? ORDER BY id LIMIT ?
            """
        return try database.rows(sql, [.integer(id), .integer(mark), .integer(Int64(limit))]) { row in
            let duration = row.integer(7)
            let createdAt = row.canonicalTimestamp(8)
            return try transform(LegacyMessage(
                id: row.integer(0) ?? 0, conversationID: row.integer(1), fromUserID: row.integer(2), toUserID: row.integer(3),
                content: row.optionalText(4), messageType: row.optionalText(5), attachmentPath: row.optionalText(6),
                durationSeconds: duration, durationUnreadable: duration == nil && !row.isNull(7),
                createdAtMicroseconds: createdAt, createdAt: createdAt == nil ? row.optionalText(8) : nil))
        }
    }

    /// The `created_at` of the first and of the last message in (after, upTo] by id: two lookups
    /// by primary key. api_legacy stamps messages as it inserts them, so these are (nearly) the
    /// earliest and latest; the copy creates the partitions between them ahead of time.
    public func messageTimeBounds(after id: Int64, upTo mark: Int64) throws -> (first: String, last: String)? {
        guard layout.message("created_at") == "created_at" else { return nil }
        let bounds = try database.rows(
            """
            SELECT (SELECT created_at FROM messages WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT 1),
                   (SELECT created_at FROM messages WHERE id > ?1 AND id <= ?2 ORDER BY id DESC LIMIT 1)
            """,
            [.integer(id), .integer(mark)]
        ) { row in (row.optionalText(0)?.value, row.optionalText(1)?.value) }
        guard let pair = bounds.first, let first = pair.0, let last = pair.1 else { return nil }
        return (first, last)
    }

    /// Rows per table, for verify and the progress display.
    public func count(_ table: String, upTo mark: Int64, idColumn: String = "id") throws -> Int64 {
        try database.integer("SELECT count(*) FROM \(table) WHERE \(idColumn) <= ?", [.integer(mark)]) ?? 0
    }
}
