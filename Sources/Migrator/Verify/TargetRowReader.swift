import Foundation
import Logging
import PostgresNIO

/// Reads migrated rows back from the gateway's schema in the same canonical form the mapping
/// gives source rows (`MigratedRow.canonical`), so the two sides compare field by field.
struct TargetRowReader: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// (id, canonical) of `table`'s rows with ids in (after, upTo], in id order.
    func rows(_ table: MigratedTable, after: Int64, upTo: Int64) async throws -> [(Int64, String)] {
        var result: [(Int64, String)] = []
        switch table {
        case .users:
            let rows = try await client.query(
                """
                SELECT u.id, u.username, u.password_hash, u.display_name, u.bio, f.bucket, f.object_key, u.created_at
                FROM users u LEFT JOIN files f ON f.id = u.avatar_file_id
                WHERE u.id > \(after) AND u.id <= \(upTo) ORDER BY u.id
                """, logger: logger)
            for try await (id, name, hash, display, bio, bucket, key, created) in rows.decode(
                (Int64, String, String, String?, String?, String?, String?, Date).self)
            {
                let user = MigratedUser(
                    id: id, username: name, passwordHash: hash, displayName: display, bio: bio,
                    avatar: Self.object(bucket, key), createdAt: Self.microseconds(created))
                result.append((id, user.canonical))
            }
        case .userSettings:
            let rows = try await client.query(
                """
                SELECT user_id, theme, notifications_enabled, language FROM user_settings
                WHERE user_id > \(after) AND user_id <= \(upTo) ORDER BY user_id
                """, logger: logger)
            for try await (id, theme, enabled, language) in rows.decode((Int64, String, Bool, String).self) {
                result.append((id, MigratedSettings(userID: id, theme: theme, notificationsEnabled: enabled, language: language).canonical))
            }
        case .stickers:
            let rows = try await client.query(
                """
                SELECT s.id, p.name, s.label, f.bucket, f.object_key FROM stickers s
                JOIN sticker_packs p ON p.id = s.pack_id JOIN files f ON f.id = s.file_id
                WHERE s.id > \(after) AND s.id <= \(upTo) ORDER BY s.id
                """, logger: logger)
            for try await (id, pack, label, bucket, key) in rows.decode((Int64, String, String, String, String).self) {
                let sticker = MigratedSticker(id: id, packName: pack, label: label, image: ObjectReference(bucket: bucket, key: key))
                result.append((id, sticker.canonical))
            }
        case .conversations:
            let rows = try await client.query(
                """
                SELECT c.id, c.type::text, c.direct_key, c.owner_id,
                       coalesce((SELECT string_agg(m.user_id::text, ',' ORDER BY m.user_id) FROM chat_members m WHERE m.chat_id = c.id), '')
                FROM chats c WHERE c.id > \(after) AND c.id <= \(upTo) ORDER BY c.id
                """, logger: logger)
            for try await (id, type, key, owner, members) in rows.decode((Int64, String, String?, Int64, String).self) {
                result.append((id, Canonical.join([String(id), type, key, String(owner), members])))
            }
        case .messages:
            let rows = try await client.query(
                """
                SELECT m.id, m.chat_id, m.sender_id, m.content, m.message_type, m.sticker_id, f.bucket, f.object_key,
                       m.duration_seconds, m.created_at
                FROM messages m LEFT JOIN files f ON f.id = m.file_id
                WHERE m.id > \(after) AND m.id <= \(upTo) ORDER BY m.id
                """, logger: logger)
            for try await (id, chat, sender, content, kind, sticker, bucket, key, duration, created) in rows.decode(
                (Int64, Int64, Int64, String?, String, Int64?, String?, String?, Int32?, Date).self)
            {
                let message = MigratedMessage(
                    id: id, chatID: chat, senderID: sender, content: content, kind: kind, stickerID: sticker,
                    voice: Self.object(bucket, key), durationSeconds: duration, createdAt: Self.microseconds(created))
                result.append((id, message.canonical))
            }
        }
        return result
    }

    /// Every object a migrated row refers to (avatars, sticker images, voice files).
    func referencedObjects(marks: LegacySource.Marks) async throws -> [ObjectReference] {
        let rows = try await client.query(
            """
            SELECT DISTINCT f.bucket, f.object_key FROM files f WHERE f.id IN (
                SELECT avatar_file_id FROM users WHERE id <= \(marks.users) AND avatar_file_id IS NOT NULL
                UNION SELECT file_id FROM stickers WHERE id <= \(marks.stickers)
                UNION SELECT file_id FROM messages WHERE id <= \(marks.messages) AND file_id IS NOT NULL)
            ORDER BY 1, 2
            """, logger: logger)
        var objects: [ObjectReference] = []
        for try await (bucket, key) in rows.decode((String, String).self) {
            objects.append(ObjectReference(bucket: bucket, key: key))
        }
        return objects
    }

    static func object(_ bucket: String?, _ key: String?) -> ObjectReference? {
        guard let bucket, let key else { return nil }
        return ObjectReference(bucket: bucket, key: key)
    }

    static func microseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }
}
