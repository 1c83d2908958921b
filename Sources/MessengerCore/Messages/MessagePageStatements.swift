import PostgresNIO

/// The three history queries as named prepared statements: each connection parses and plans
/// them once, instead of on every call (the message list is the hottest read).
protocol MessagePageStatement: PostgresPreparedStatement where Row == PostgresRow {
    /// The inner selection: one chat's messages in keyset order, already limited.
    static var selection: String { get }
}

extension MessagePageStatement {
    static var sql: String {
        """
        SELECT m.id, m.chat_id, m.sender_id, m.content, m.message_type, m.file_id, m.sticker_id, m.duration_seconds, m.created_at,
               u.username, u.display_name, u.is_admin,
               af.bucket AS avatar_bucket, af.object_key AS avatar_key, af.filename AS avatar_filename, af.mime_type AS avatar_mime,
               s.label AS sticker_label, sf.bucket AS sticker_bucket, sf.object_key AS sticker_key,
               f.bucket AS file_bucket, f.object_key AS file_key, f.filename AS file_name, f.mime_type AS file_mime, f.size_bytes AS file_size
        FROM (\(selection)) m
        JOIN users u ON u.id = m.sender_id
        LEFT JOIN files af ON af.id = u.avatar_file_id
        LEFT JOIN stickers s ON s.id = m.sticker_id
        LEFT JOIN files sf ON sf.id = s.file_id
        LEFT JOIN files f ON f.id = m.file_id
        ORDER BY m.id ASC
        """
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

struct LatestMessagesStatement: MessagePageStatement {
    static let name = "messages_latest_v1"
    static let selection = "SELECT * FROM messages WHERE chat_id = $1 ORDER BY id DESC LIMIT $2"
    static let bindingDataTypes: [PostgresDataType] = [.int8, .int8]
    let chatID: Int64
    let limit: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(chatID)
        bindings.append(limit)
        return bindings
    }
}

/// A page on one side of a known message id (`before` / `after_id`).
protocol KeysetPageStatement: MessagePageStatement {
    var chatID: Int64 { get }
    /// The id the page starts next to, excluded.
    var boundary: Int64 { get }
    var limit: Int64 { get }
}

extension KeysetPageStatement {
    static var bindingDataTypes: [PostgresDataType] { [.int8, .int8, .int8] }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(chatID)
        bindings.append(boundary)
        bindings.append(limit)
        return bindings
    }
}

struct MessagesBeforeStatement: KeysetPageStatement {
    static let name = "messages_before_v1"
    static let selection = "SELECT * FROM messages WHERE chat_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    let chatID: Int64
    let boundary: Int64
    let limit: Int64
}

struct MessagesAfterStatement: KeysetPageStatement {
    static let name = "messages_after_v1"
    static let selection = "SELECT * FROM messages WHERE chat_id = $1 AND id > $2 ORDER BY id ASC LIMIT $3"
    let chatID: Int64
    let boundary: Int64
    let limit: Int64
}
