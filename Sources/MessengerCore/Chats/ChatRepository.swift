import Foundation
import Logging
import PostgresNIO

/// The SQL behind chats, memberships, favourites and mutes. Every write that spans rows runs in
/// one transaction, and the caller hears back only after the commit (D-18).
struct ChatRepository: Sendable {
    let database: PostgresClient
    let logger: Logger

    // MARK: creating

    /// The pair's direct chat, created unless it exists. Concurrent calls for one pair meet on
    /// the unique `direct_key` ("<low id>:<high id>", D-19): the loser's insert waits for the
    /// winner's commit, does nothing, and then reads the winner's row.
    func openDirectChat(owner ownerID: Int64, other otherID: Int64) async throws -> (id: Int64, created: Bool) {
        let key = "\(min(ownerID, otherID)):\(max(ownerID, otherID))"
        return try await database.transaction(logger: logger) { connection in
            try await requireActiveUsers([otherID], on: connection)
            let inserted = try await connection.query(
                """
                INSERT INTO chats (type, owner_id, direct_key) VALUES ('direct', \(ownerID), \(key))
                ON CONFLICT (direct_key) DO NOTHING
                RETURNING id
                """, logger: logger)
            if let id = try await inserted.decode(Int64.self).first(where: { _ in true }) {
                try await connection.query(
                    """
                    INSERT INTO chat_members (chat_id, user_id, role)
                    VALUES (\(id), \(ownerID), 'owner'), (\(id), \(otherID), 'member')
                    """, logger: logger)
                return (id, true)
            }
            let existing = try await connection.query(
                "SELECT id, owner_id FROM chats WHERE direct_key = \(key)", logger: logger)
            guard let (id, storedOwner) = try await existing.decode((Int64, Int64).self).first(where: { _ in true }) else {
                throw StoredValueError(column: "chats.direct_key", value: key)
            }
            // Either side may have left; asking for the chat again brings both back, since the
            // pair can have no other direct chat.
            try await connection.query(
                """
                INSERT INTO chat_members (chat_id, user_id, role)
                SELECT \(id), member, CASE WHEN member = \(storedOwner) THEN 'owner' ELSE 'member' END
                FROM unnest(\([ownerID, otherID])::bigint[]) AS member
                ON CONFLICT (chat_id, user_id) DO NOTHING
                """, logger: logger)
            return (id, false)
        }
    }

    /// A new group or channel with its creator as owner and `memberIDs` (distinct, without the
    /// creator) as members.
    func createNamedChat(
        type: ChatType, owner ownerID: Int64, memberIDs: [Int64], name: String, title: String, description: String,
        publicName: String?
    ) async throws -> Int64 {
        do {
            return try await database.transaction(logger: logger) { connection in
                try await requireActiveUsers(memberIDs, on: connection)
                let inserted = try await connection.query(
                    """
                    INSERT INTO chats (type, owner_id, name, title, description, public_name)
                    VALUES (\(type.rawValue)::chat_type, \(ownerID), \(name), \(title), \(description), \(publicName))
                    RETURNING id
                    """, logger: logger)
                guard let id = try await inserted.decode(Int64.self).first(where: { _ in true }) else {
                    throw StoredValueError(column: "chats.id", value: "no row returned")
                }
                try await connection.query(
                    """
                    INSERT INTO chat_members (chat_id, user_id, role)
                    SELECT \(id), member, CASE WHEN member = \(ownerID) THEN 'owner' ELSE 'member' END
                    FROM unnest(\([ownerID] + memberIDs)::bigint[]) AS member
                    """, logger: logger)
                return id
            }
        } catch let error where ConstraintViolation(error) == .unique(constraint: "chats_public_name_key") {
            throw ChatError.publicNameTaken
        } catch let error where ConstraintViolation(error) == .foreignKey(constraint: "chat_members_user_id_fkey") {
            // A member was deleted between the check and the insert.
            throw ChatError.unknownMember
        }
    }

    /// Soft-deleted (`is_active = false`) and unknown ids alike are refused.
    private func requireActiveUsers(_ ids: [Int64], on connection: PostgresConnection) async throws {
        guard !ids.isEmpty else { return }
        let rows = try await connection.query(
            "SELECT count(*) FROM users WHERE id = ANY(\(ids)::bigint[]) AND is_active", logger: logger)
        let found = try await rows.decode(Int64.self).first(where: { _ in true }) ?? 0
        guard found == ids.count else { throw ChatError.unknownMember }
    }

    // MARK: reading

    /// The user's chats in list order, in one query: the newest message comes from the chat row
    /// (or the `(chat_id, id)` index where the row does not know it, see V7) and the direct peer
    /// from a lateral join, never a query per chat (D-22).
    /// `avatarURL` signs the peer's avatar; URLs are fresh on every response.
    func chatList(
        of userID: Int64, limit: Int, avatarURL: (AvatarObject) -> String?
    ) async throws -> [ChatSummary] {
        // The hottest list query: a named prepared statement, planned once per connection.
        let rows = try await database.execute(ChatListStatement(userID: userID, limit: Int64(limit)), logger: logger)
        var list: [ChatSummary] = []
        for try await raw in rows {
            let row = try raw.decode(
                (Int64, String, String?, String?, String?, String?, Date, String?, Date?, Bool, Bool,
                 Int64?, String?, String?, String?, String?, String?, String?).self)
            var peer: ChatSummary.Peer?
            if let id = row.11, let username = row.12 {
                let avatar = AvatarObject(bucket: row.14, key: row.15, filename: row.16, mimeType: row.17)
                peer = ChatSummary.Peer(id: id, username: username, displayName: row.13, avatarURL: avatar.flatMap(avatarURL))
            }
            // A message without text (voice, sticker, NULL content) reads as ""; no message, as nil.
            let lastMessage = row.8.map { _ in row.7 ?? "" }
            list.append(ChatSummary(
                id: row.0, type: try ChatType(stored: row.1), name: row.2, title: row.3, description: row.4, publicName: row.5,
                updatedAt: row.6, lastMessage: lastMessage, lastAt: row.8, isFavorite: row.9, isMuted: row.10, peer: peer))
        }
        return list
    }

    /// The chat as `userID` sees it; throws `notAMember` when the chat is missing or the user is
    /// no member. One snapshot, so `members` and `memberCount` agree.
    func detail(of chatID: Int64, for userID: Int64, memberLimit: Int) async throws -> ChatDetail {
        try await database.transaction(logger: logger) { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            let chatRows = try await connection.query(
                """
                SELECT c.id, c.type::text, c.name, c.title, c.description, c.public_name::text, c.owner_id, c.created_at, me.role,
                       (SELECT count(*) FROM chat_members all_members WHERE all_members.chat_id = c.id)
                FROM chats c JOIN chat_members me ON me.chat_id = c.id AND me.user_id = \(userID)
                WHERE c.id = \(chatID)
                """, logger: logger)
            guard let chat = try await chatRows.decode(
                (Int64, String, String?, String?, String?, String?, Int64, Date, String, Int64).self
            ).first(where: { _ in true }) else {
                throw ChatError.notAMember
            }
            let memberRows = try await connection.query(
                """
                SELECT u.id, u.username, u.display_name, m.role
                FROM chat_members m JOIN users u ON u.id = m.user_id
                WHERE m.chat_id = \(chatID)
                ORDER BY m.joined_at, m.user_id
                LIMIT \(memberLimit)
                """, logger: logger)
            var members: [ChatDetail.Member] = []
            for try await (id, username, displayName, role) in memberRows.decode((Int64, String, String?, String).self) {
                members.append(ChatDetail.Member(id: id, username: username, displayName: displayName, role: try ChatRole(stored: role)))
            }
            return ChatDetail(
                id: chat.0, type: try ChatType(stored: chat.1), name: chat.2, title: chat.3, description: chat.4, publicName: chat.5,
                ownerID: chat.6, createdAt: chat.7, members: members, myRole: try ChatRole(stored: chat.8), memberCount: Int(chat.9))
        }
    }

    /// Exact, case-insensitive (`citext`) match.
    func publicProfile(named publicName: String) async throws -> PublicChatProfile? {
        let rows = try await database.query(
            """
            SELECT c.id, c.type::text, c.name, c.title, c.description, c.public_name::text, c.created_at,
                   (SELECT count(*) FROM chat_members m WHERE m.chat_id = c.id)
            FROM chats c WHERE c.public_name = \(publicName)::citext
            """, logger: logger)
        for try await row in rows.decode((Int64, String, String?, String?, String?, String, Date, Int64).self) {
            return PublicChatProfile(
                id: row.0, type: try ChatType(stored: row.1), name: row.2, title: row.3, description: row.4, publicName: row.5,
                createdAt: row.6, memberCount: Int(row.7))
        }
        return nil
    }

    // MARK: per-member settings

    func addFavorite(userID: Int64, chatID: Int64) async throws {
        try await database.transaction(logger: logger) { connection in
            try await lockMembership(userID: userID, chatID: chatID, on: connection)
            try await connection.query(
                """
                INSERT INTO chat_favorites (user_id, chat_id) VALUES (\(userID), \(chatID))
                ON CONFLICT (user_id, chat_id) DO NOTHING
                """, logger: logger)
        }
    }

    func removeFavorite(userID: Int64, chatID: Int64) async throws {
        try await database.query(
            "DELETE FROM chat_favorites WHERE user_id = \(userID) AND chat_id = \(chatID)", logger: logger)
    }

    /// `until` nil mutes indefinitely.
    func mute(userID: Int64, chatID: Int64, until: Date?) async throws {
        try await database.transaction(logger: logger) { connection in
            try await lockMembership(userID: userID, chatID: chatID, on: connection)
            try await connection.query(
                """
                INSERT INTO chat_mute_settings (user_id, chat_id, muted_until) VALUES (\(userID), \(chatID), \(until))
                ON CONFLICT (user_id, chat_id) DO UPDATE SET muted_until = EXCLUDED.muted_until
                """, logger: logger)
        }
    }

    func unmute(userID: Int64, chatID: Int64) async throws {
        try await database.query(
            "DELETE FROM chat_mute_settings WHERE user_id = \(userID) AND chat_id = \(chatID)", logger: logger)
    }

    /// Holds the membership row until commit, so a concurrent leave (which deletes it, then the
    /// member's settings) cannot leave a favourite or mute row behind for a non-member.
    private func lockMembership(userID: Int64, chatID: Int64, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            "SELECT 1 FROM chat_members WHERE chat_id = \(chatID) AND user_id = \(userID) FOR SHARE", logger: logger)
        guard try await rows.decode(Int32.self).first(where: { _ in true }) != nil else { throw ChatError.notAMember }
    }

    // MARK: leaving

    /// Removes the membership with the member's favourite and mute rows (D-9); when nobody is
    /// left, revokes the chat's invites so strangers cannot join a chat nobody administers (D-25).
    func leave(userID: Int64, chatID: Int64) async throws -> ChatDeparture {
        try await database.transaction(logger: logger) { connection in
            // The chat row lock orders this against joins and member inserts (whose foreign-key
            // check takes a KEY SHARE lock on it): the member count below cannot go stale.
            let chat = try await connection.query("SELECT 1 FROM chats WHERE id = \(chatID) FOR UPDATE", logger: logger)
            guard try await chat.decode(Int32.self).first(where: { _ in true }) != nil else { throw ChatError.notAMember }
            let membership = try await connection.query(
                """
                SELECT me.role, (SELECT count(*) FROM chat_members m WHERE m.chat_id = \(chatID))
                FROM chat_members me WHERE me.chat_id = \(chatID) AND me.user_id = \(userID)
                """, logger: logger)
            guard let (role, memberCount) = try await membership.decode((String, Int64).self).first(where: { _ in true }) else {
                throw ChatError.notAMember
            }
            if try ChatRole(stored: role) == .owner && memberCount > 1 {
                throw ChatError.ownerMustStay
            }
            try await connection.query(
                "DELETE FROM chat_members WHERE chat_id = \(chatID) AND user_id = \(userID)", logger: logger)
            try await connection.query(
                "DELETE FROM chat_favorites WHERE chat_id = \(chatID) AND user_id = \(userID)", logger: logger)
            try await connection.query(
                "DELETE FROM chat_mute_settings WHERE chat_id = \(chatID) AND user_id = \(userID)", logger: logger)
            let remaining = Int(memberCount) - 1
            var revoked = 0
            if remaining == 0 {
                let rows = try await connection.query(
                    "UPDATE invites SET revoked_at = now() WHERE chat_id = \(chatID) AND revoked_at IS NULL RETURNING id",
                    logger: logger)
                for try await _ in rows.decode(Int64.self) { revoked += 1 }
            }
            return ChatDeparture(chatID: chatID, userID: userID, remainingMembers: remaining, revokedInvites: revoked)
        }
    }
}
