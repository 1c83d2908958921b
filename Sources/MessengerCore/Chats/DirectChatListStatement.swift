import Foundation
import PostgresNIO

/// The legacy chat list's query (legacy-api.md §5.7): the caller's direct chats with the other
/// participant taken from the pair key (so a chat stays listed after the other side left it, as
/// legacy conversations had no membership), and the newest message from `NewestMessageJoin`.
/// Ordered by the newest activity at one-second resolution, ties by ascending id, as api_legacy's
/// text comparison of `YYYY-MM-DD HH:MM:SS` values ordered them.
struct DirectChatListStatement: PostgresPreparedStatement {
    typealias Row = DirectChatEntry

    static let name = "direct_chat_list_v2"
    static let sql = """
        SELECT c.id, c.updated_at, peer.id, peer.username, peer.display_name, peer.avatar_file_id IS NOT NULL,
               last.message_type, last.content, last.created_at
        FROM chat_members me
        JOIN chats c ON c.id = me.chat_id AND c.type = 'direct'
        JOIN users peer ON peer.id = CASE
            WHEN split_part(c.direct_key, ':', 1)::bigint = me.user_id THEN split_part(c.direct_key, ':', 2)::bigint
            ELSE split_part(c.direct_key, ':', 1)::bigint END
        \(NewestMessageJoin.sql)
        WHERE me.user_id = $1
        ORDER BY date_trunc('second', coalesce(last.created_at, c.updated_at)) DESC, c.id ASC
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

    func decodeRow(_ row: PostgresRow) throws -> DirectChatEntry {
        let (id, updatedAt, peerID, username, displayName, hasAvatar, kind, content, createdAt) = try row.decode(
            (Int64, Date, Int64, String, String?, Bool, String?, String?, Date?).self)
        return DirectChatEntry(
            id: id, peer: .init(id: peerID, username: username, displayName: displayName, hasAvatar: hasAvatar),
            updatedAt: updatedAt, lastMessageKind: kind, lastMessageContent: content, lastMessageAt: createdAt)
    }
}
