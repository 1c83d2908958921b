import Foundation
import PostgresNIO

/// The send rule and the insert in ONE statement (one round trip, atomic on its own): the chat's
/// type and the sender's role, whether the sticker exists and the file is the sender's own, the
/// insert only when all of that allows it, and the chat's `updated_at` and newest message (V7) moved
/// with it; a concurrent send that committed a higher id first keeps its place. The caller
/// reads back why nothing was inserted, in the contract's order of checks.
struct MessageInsertStatement: PostgresPreparedStatement {
    /// What the statement found; `inserted` is nil when a check refused the message.
    struct Outcome {
        let chatType: ChatType
        let role: ChatRole?
        let stickerExists: Bool
        let fileIsSenders: Bool
        let inserted: (id: Int64, createdAt: Date)?
    }

    static let name = "message_insert_v2"
    static let bindingDataTypes: [PostgresDataType] = [.int8, .int8, .text, .text, .int8, .int8, .int4]
    static let sql = """
        WITH checks AS (
            SELECT c.type::text AS chat_type, m.role,
                   ($6::bigint IS NULL OR EXISTS (SELECT 1 FROM stickers WHERE id = $6)) AS sticker_exists,
                   ($5::bigint IS NULL OR EXISTS (SELECT 1 FROM files WHERE \(AttachableFile.condition(fileID: "$5", userID: "$2")))) AS file_is_senders
            FROM chats c
            LEFT JOIN chat_members m ON m.chat_id = c.id AND m.user_id = $2
            WHERE c.id = $1
        ), inserted AS (
            INSERT INTO messages (chat_id, sender_id, content, message_type, file_id, sticker_id, duration_seconds)
            SELECT $1, $2, $3, $4, $5, $6, $7 FROM checks
            WHERE role IS NOT NULL
              AND (chat_type <> '\(ChatType.channel.rawValue)' OR role IN (\(managerRoles)))
              AND sticker_exists AND file_is_senders
            RETURNING id, created_at
        ), touched AS (
            UPDATE chats SET updated_at = now(), last_message_id = i.id, last_message_type = $4,
                             last_message_content = $3, last_message_at = i.created_at
            FROM inserted i
            WHERE chats.id = $1 AND (chats.last_message_id IS NULL OR chats.last_message_id < i.id)
        )
        SELECT c.chat_type, c.role, c.sticker_exists, c.file_is_senders, i.id, i.created_at
        FROM checks c LEFT JOIN inserted i ON true
        """

    /// The roles that may post in a channel, from `ChatRole.isManager`, so the rule has one source.
    private static var managerRoles: String {
        ChatRole.allCases.filter(\.isManager).map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }

    let chatID: Int64
    let senderID: Int64
    let draft: MessageDraft

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 7)
        bindings.append(chatID)
        bindings.append(senderID)
        bindings.append(draft.content)
        bindings.append(draft.kind.rawValue)
        bindings.append(draft.fileID)
        bindings.append(draft.stickerID)
        bindings.append(draft.durationSeconds.map(Int32.init))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Outcome {
        let (type, role, stickerExists, fileIsSenders, id, createdAt) = try row.decode(
            (String, String?, Bool, Bool, Int64?, Date?).self)
        return Outcome(
            chatType: try ChatType(stored: type),
            role: try role.map(ChatRole.init(stored:)),
            stickerExists: stickerExists,
            fileIsSenders: fileIsSenders,
            inserted: id.flatMap { id in createdAt.map { (id, $0) } })
    }
}
