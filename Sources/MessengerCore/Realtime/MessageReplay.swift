import Foundation
import Logging
import PostgresNIO

/// The stored messages a resuming WebSocket missed: a chat's messages with an id above the last
/// one the client has, in id order (ids come from one sequence, the order of jwt-api.md §3.4.2).
/// Bounded per call; membership is the caller's check.
public struct MessageReplay: Sendable {
    /// At most this many messages are replayed for one resume; a client further behind pages
    /// through `GET /chats/{id}/messages?after_id=` and resumes from there.
    public static let limit = 500

    let database: PostgresClient
    let logger: Logger

    public init(core: CoreServices) {
        self.database = core.database
        self.logger = core.logger
    }

    /// Up to `limit` messages of the chat with `id > lastMessageID`, oldest first.
    public func messages(in chatID: Int64, after lastMessageID: Int64, limit: Int) async throws -> [StoredMessage] {
        let rows = try await database.query(
            """
            SELECT id, chat_id, sender_id, content, message_type, file_id, sticker_id, duration_seconds, created_at
            FROM messages WHERE chat_id = \(chatID) AND id > \(lastMessageID)
            ORDER BY id ASC LIMIT \(Int64(limit))
            """, logger: logger)
        var messages: [StoredMessage] = []
        for try await row in rows.decode((Int64, Int64, Int64, String?, String, Int64?, Int64?, Int32?, Date).self) {
            messages.append(StoredMessage(
                id: row.0, chatID: row.1, senderID: row.2, content: row.3, kind: row.4, fileID: row.5, stickerID: row.6,
                durationSeconds: row.7.map(Int.init), createdAt: row.8))
        }
        return messages
    }

    /// The id of the chat's newest stored message; 0 when it has none.
    public func newestMessageID(in chatID: Int64) async throws -> Int64 {
        let rows = try await database.query(
            "SELECT COALESCE(max(id), 0) FROM messages WHERE chat_id = \(chatID)", logger: logger)
        for try await id in rows.decode(Int64.self) {
            return id
        }
        return 0
    }
}
