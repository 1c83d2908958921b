import Foundation
import Logging
import PostgresNIO

/// Sending a message, the one rule both API generations share: check membership and posting
/// rights, check the sticker or file, insert the row and move the chat's `updated_at` in one
/// transaction, then publish the event after the commit. A publish failure never fails the send;
/// it is counted, and clients catch up by polling or resuming.
public struct MessageService: Sendable {
    let core: CoreServices

    public init(core: CoreServices) {
        self.core = core
    }

    private struct DuplicateKey: Error {}
    private struct InsertReturnedNoRow: Error {}

    public func send(_ draft: MessageDraft, from senderID: Int64, to chatID: Int64) async throws -> SendOutcome {
        let logger = core.logger
        if let key = draft.clientMessageID, let original = try await idempotentOriginal(senderID: senderID, key: key) {
            return .duplicate(original)
        }
        try await checkSendRights(of: senderID, in: chatID)
        let stored: StoredMessage
        do {
            stored = try await core.database.transaction(logger: logger) { connection in
                if let stickerID = draft.stickerID {
                    let rows = try await connection.query("SELECT 1 FROM stickers WHERE id = \(stickerID)", logger: logger)
                    guard try await rows.decode(Int.self).first(where: { _ in true }) != nil else { throw MessageError.stickerNotFound }
                }
                if let fileID = draft.fileID {
                    let rows = try await connection.query(AttachableFile.query(fileID: fileID, userID: senderID), logger: logger)
                    guard try await rows.decode(AttachableFile.Row.self).first(where: { _ in true }) != nil else {
                        throw MessageError.fileNotFound
                    }
                }
                let inserted = try await connection.query(
                    """
                    INSERT INTO messages (chat_id, sender_id, content, message_type, file_id, sticker_id, duration_seconds)
                    VALUES (\(chatID), \(senderID), \(draft.content), \(draft.kind.rawValue), \(draft.fileID), \(draft.stickerID), \(draft.durationSeconds.map(Int32.init)))
                    RETURNING id, created_at
                    """, logger: logger)
                guard let (id, createdAt) = try await inserted.decode((Int64, Date).self).first(where: { _ in true }) else {
                    throw InsertReturnedNoRow()
                }
                if let key = draft.clientMessageID {
                    // Two concurrent sends with one key: the second waits on the primary key, finds
                    // the first committed, and rolls its own insert back.
                    let claimed = try await connection.query(
                        """
                        INSERT INTO message_idempotency (sender_id, client_msg_id, message_id, message_created_at)
                        VALUES (\(senderID), \(key), \(id), \(createdAt))
                        ON CONFLICT (sender_id, client_msg_id) DO NOTHING
                        RETURNING 1
                        """, logger: logger)
                    guard try await claimed.decode(Int.self).first(where: { _ in true }) != nil else { throw DuplicateKey() }
                }
                try await connection.query("UPDATE chats SET updated_at = now() WHERE id = \(chatID)", logger: logger)
                return StoredMessage(
                    id: id, chatID: chatID, senderID: senderID, content: draft.content, kind: draft.kind.rawValue,
                    fileID: draft.fileID, stickerID: draft.stickerID, durationSeconds: draft.durationSeconds, createdAt: createdAt)
            }
        } catch is DuplicateKey {
            guard let key = draft.clientMessageID, let original = try await idempotentOriginal(senderID: senderID, key: key) else {
                throw MessageError.notAMember
            }
            return .duplicate(original)
        }
        await publish(stored)
        return .created(stored)
    }

    /// Membership and, for channels, the owner/admin rule (jwt-api.md §3.4.1 checks 3 and 4).
    private func checkSendRights(of userID: Int64, in chatID: Int64) async throws {
        guard let access = try await ChatMembership(core: core).access(of: userID, to: chatID), let role = access.role else {
            throw MessageError.notAMember
        }
        if access.chatType == .channel && !role.isManager {
            throw MessageError.channelIsReadOnly
        }
    }

    private func idempotentOriginal(senderID: Int64, key: String) async throws -> StoredMessage? {
        let rows = try await core.database.query(
            """
            SELECT m.id, m.chat_id, m.sender_id, m.content, m.message_type, m.file_id, m.sticker_id, m.duration_seconds, m.created_at
            FROM message_idempotency k
            JOIN messages m ON m.id = k.message_id AND m.created_at = k.message_created_at
            WHERE k.sender_id = \(senderID) AND k.client_msg_id = \(key)
            """, logger: core.logger)
        for try await row in rows.decode((Int64, Int64, Int64, String?, String, Int64?, Int64?, Int32?, Date).self) {
            return StoredMessage(
                id: row.0, chatID: row.1, senderID: row.2, content: row.3, kind: row.4, fileID: row.5, stickerID: row.6,
                durationSeconds: row.7.map(Int.init), createdAt: row.8)
        }
        return nil
    }

    private func publish(_ message: StoredMessage) async {
        GatewayMetrics.shared.messagesSent.increment()
        do {
            try await core.bus.publish(chatID: message.chatID, payload: MessageEvent.payload(for: message))
        } catch {
            GatewayMetrics.shared.redisPublishFailures.increment()
            core.logger.warning("message event not published", metadata: ["chat_id": "\(message.chatID)", "message_id": "\(message.id)"])
        }
    }
}
