import PostgresNIO

/// GET /chats' query (see `ChatRepository.chatList`) as a named prepared statement.
struct ChatListStatement: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static let name = "chat_list_v2"
    static let sql = """
        SELECT c.id, c.type::text, c.name, c.title, c.description, c.public_name::text, c.updated_at,
               last.content, last.created_at,
               fav.user_id IS NOT NULL AS is_favorite,
               mute.user_id IS NOT NULL AND (mute.muted_until IS NULL OR mute.muted_until > now()) AS is_muted,
               peer.id, peer.username, peer.display_name,
               avatar.bucket, avatar.object_key, avatar.filename, avatar.mime_type
        FROM chat_members me
        JOIN chats c ON c.id = me.chat_id
        LEFT JOIN chat_favorites fav ON fav.user_id = me.user_id AND fav.chat_id = c.id
        LEFT JOIN chat_mute_settings mute ON mute.user_id = me.user_id AND mute.chat_id = c.id
        \(NewestMessageJoin.sql)
        LEFT JOIN LATERAL (
            SELECT u.id, u.username, u.display_name, u.avatar_file_id
            FROM chat_members other JOIN users u ON u.id = other.user_id
            WHERE c.type = 'direct' AND other.chat_id = c.id AND other.user_id <> me.user_id
            ORDER BY other.joined_at, other.user_id LIMIT 1
        ) peer ON true
        LEFT JOIN files avatar ON avatar.id = peer.avatar_file_id
        WHERE me.user_id = $1
        ORDER BY is_favorite DESC, c.updated_at DESC, c.id DESC
        LIMIT $2
        """
    static let bindingDataTypes: [PostgresDataType] = [.int8, .int8]
    let userID: Int64
    let limit: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(userID)
        bindings.append(limit)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
