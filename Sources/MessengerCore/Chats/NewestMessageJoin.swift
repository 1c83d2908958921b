/// Where both chat lists take a chat's newest message from (migration V7): the chat row, where
/// the send statement records it, or else the `(chat_id, id)` index. A lateral join on `chats c`,
/// named `last`, with the message's `message_type`, `content` (as stored, possibly NULL) and
/// `created_at`; no row when the chat has no messages.
enum NewestMessageJoin {
    static let sql = """
        LEFT JOIN LATERAL (
            SELECT c.last_message_type AS message_type, c.last_message_content AS content, c.last_message_at AS created_at
            WHERE c.last_message_id IS NOT NULL
            UNION ALL
            (SELECT m.message_type, m.content, m.created_at
             FROM messages m WHERE c.last_message_id IS NULL AND m.chat_id = c.id
             ORDER BY m.id DESC LIMIT 1)
        ) last ON true
        """
}
