import Foundation
import Logging
import PostgresNIO

/// Sending a message, the one rule both API generations share: check membership and posting
/// rights, check the sticker or file, insert the row and move the chat's `updated_at` in one
/// statement (`MessageInsertStatement`), then publish the event after the commit. A publish failure never fails the send;
/// it is counted, and clients catch up by polling or resuming.
public struct MessageService: Sendable {
    let core: CoreServices

    public init(core: CoreServices) {
        self.core = core
    }

    private struct DuplicateKey: Error {}

    public func send(_ draft: MessageDraft, from senderID: Int64, to chatID: Int64) async throws -> SendOutcome {
        let statement = MessageInsertStatement(chatID: chatID, senderID: senderID, draft: draft)
        guard let key = draft.clientMessageID else {
            let stored = try await core.database.withConnection { connection in
                try await insert(statement, on: connection)
            }
            await publish(stored)
            return .created(stored)
        }
        if let original = try await idempotentOriginal(senderID: senderID, key: key) {
            return .duplicate(original)
        }
        let stored: StoredMessage
        do {
            stored = try await core.database.transaction(logger: core.logger) { connection in
                let message = try await insert(statement, on: connection)
                // Two concurrent sends with one key: the second waits on the primary key, finds
                // the first committed, and rolls its own insert back.
                let claimed = try await connection.query(
                    """
                    INSERT INTO message_idempotency (sender_id, client_msg_id, message_id, message_created_at)
                    VALUES (\(senderID), \(key), \(message.id), \(message.createdAt))
                    ON CONFLICT (sender_id, client_msg_id) DO NOTHING
                    RETURNING 1
                    """, logger: core.logger)
                guard try await claimed.decode(Int.self).first(where: { _ in true }) != nil else { throw DuplicateKey() }
                return message
            }
        } catch is DuplicateKey {
            guard let original = try await idempotentOriginal(senderID: senderID, key: key) else {
                throw MessageError.notAMember
            }
            return .duplicate(original)
        }
        await publish(stored)
        return .created(stored)
    }

    /// Runs the one-statement insert and turns a refusal into the error of the first failed check:
    /// membership, then the channel rule (jwt-api.md §3.4.1 checks 3 and 4), then sticker, then file.
    private func insert(_ statement: MessageInsertStatement, on connection: PostgresConnection) async throws -> StoredMessage {
        var found: MessageInsertStatement.Outcome?
        for try await outcome in try await connection.execute(statement, logger: core.logger) {
            found = outcome
        }
        guard let outcome = found, let role = outcome.role else { throw MessageError.notAMember }
        if outcome.chatType == .channel && !role.isManager { throw MessageError.channelIsReadOnly }
        guard outcome.stickerExists else { throw MessageError.stickerNotFound }
        guard outcome.fileIsSenders else { throw MessageError.fileNotFound }
        guard let inserted = outcome.inserted else { throw MessageError.notAMember }
        let draft = statement.draft
        return StoredMessage(
            id: inserted.id, chatID: statement.chatID, senderID: statement.senderID, content: draft.content, kind: draft.kind.rawValue,
            fileID: draft.fileID, stickerID: draft.stickerID, durationSeconds: draft.durationSeconds, createdAt: inserted.createdAt)
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
