import Foundation
import Logging
import PostgresNIO

/// The SQL behind invites. Joining and revoking are transactions that lock what they decide on,
/// so concurrent joins, revokes and a last member's leave cannot interleave into a state none of
/// them allows.
struct InviteRepository: Sendable {
    let database: PostgresClient
    let logger: Logger

    func create(in chatID: Int64, by userID: Int64) async throws -> Invite {
        try await database.transaction(logger: logger) { connection in
            // The shared lock keeps a concurrent leave from removing the creator mid-way.
            let access = try await connection.query(
                """
                SELECT c.type::text, me.role FROM chats c
                JOIN chat_members me ON me.chat_id = c.id AND me.user_id = \(userID)
                WHERE c.id = \(chatID)
                FOR SHARE OF me
                """, logger: logger)
            guard let (type, role) = try await access.decode((String, String).self).first(where: { _ in true }) else {
                throw InviteError.chatNotAccessible
            }
            guard try ChatType(stored: type) != .direct else { throw InviteError.directChat }
            guard try ChatRole(stored: role).isManager else { throw InviteError.notManager }
            let rows = try await connection.query(
                """
                INSERT INTO invites (chat_id, created_by) VALUES (\(chatID), \(userID))
                RETURNING token, chat_id, created_by, created_at
                """, logger: logger)
            guard let invite = try await Self.invites(from: rows).first else {
                throw StoredValueError(column: "invites.id", value: "no row returned")
            }
            return invite
        }
    }

    /// Un-revoked invites, newest first.
    func activeInvites(of chatID: Int64, limit: Int) async throws -> [Invite] {
        let rows = try await database.query(
            """
            SELECT token, chat_id, created_by, created_at FROM invites
            WHERE chat_id = \(chatID) AND revoked_at IS NULL
            ORDER BY created_at DESC, id DESC
            LIMIT \(limit)
            """, logger: logger)
        return try await Self.invites(from: rows)
    }

    func revoke(token: String, by userID: Int64) async throws {
        try await database.transaction(logger: logger) { connection in
            // Locking the invite makes a concurrent second revoke re-check `revoked_at` and miss.
            let rows = try await connection.query(
                """
                SELECT i.id, me.role FROM invites i
                JOIN chat_members me ON me.chat_id = i.chat_id AND me.user_id = \(userID)
                WHERE i.token = \(token) AND i.revoked_at IS NULL
                FOR UPDATE OF i
                """, logger: logger)
            guard let (id, role) = try await rows.decode((Int64, String).self).first(where: { _ in true }) else {
                throw InviteError.notFound
            }
            guard try ChatRole(stored: role).isManager else { throw InviteError.notManager }
            try await connection.query("UPDATE invites SET revoked_at = now() WHERE id = \(id)", logger: logger)
        }
    }

    func preview(token: String) async throws -> InvitePreview {
        let rows = try await database.query(
            """
            SELECT i.revoked_at IS NOT NULL, c.id, c.type::text, c.title, c.description,
                   (SELECT count(*) FROM chat_members m WHERE m.chat_id = c.id)
            FROM invites i JOIN chats c ON c.id = i.chat_id
            WHERE i.token = \(token)
            """, logger: logger)
        guard let row = try await rows.decode((Bool, Int64, String, String?, String?, Int64).self).first(where: { _ in true }) else {
            throw InviteError.notFound
        }
        guard !row.0 else { throw InviteError.revoked }
        return InvitePreview(
            chatID: row.1, type: try ChatType(stored: row.2), title: row.3, description: row.4, memberCount: Int(row.5))
    }

    /// Joins as `member`, or reports the existing membership. Two concurrent joins by one user
    /// meet on the membership primary key: the second waits, inserts nothing and reads the
    /// first's row, so both succeed and exactly one says `alreadyMember: false` (D-29).
    func join(token: String, userID: Int64) async throws -> InviteAcceptance {
        try await database.transaction(logger: logger) { connection in
            // The chat lock comes first and the invite is read after it: a last member's leave
            // (which locks the chat and revokes its invites) is either fully seen or not begun.
            let chat = try await connection.query(
                """
                SELECT c.id FROM chats c
                WHERE c.id = (SELECT i.chat_id FROM invites i WHERE i.token = \(token))
                FOR KEY SHARE
                """, logger: logger)
            guard let chatID = try await chat.decode(Int64.self).first(where: { _ in true }) else {
                throw InviteError.notFound
            }
            let invite = try await connection.query(
                "SELECT revoked_at IS NOT NULL FROM invites WHERE token = \(token)", logger: logger)
            guard let revoked = try await invite.decode(Bool.self).first(where: { _ in true }) else {
                throw InviteError.notFound
            }
            guard !revoked else { throw InviteError.revoked }
            let inserted = try await connection.query(
                """
                INSERT INTO chat_members (chat_id, user_id, role) VALUES (\(chatID), \(userID), 'member')
                ON CONFLICT (chat_id, user_id) DO NOTHING
                RETURNING role
                """, logger: logger)
            if let role = try await inserted.decode(String.self).first(where: { _ in true }) {
                return InviteAcceptance(chatID: chatID, role: try ChatRole(stored: role), alreadyMember: false)
            }
            let existing = try await connection.query(
                "SELECT role FROM chat_members WHERE chat_id = \(chatID) AND user_id = \(userID)", logger: logger)
            guard let role = try await existing.decode(String.self).first(where: { _ in true }) else {
                throw StoredValueError(column: "chat_members", value: "membership vanished during join")
            }
            return InviteAcceptance(chatID: chatID, role: try ChatRole(stored: role), alreadyMember: true)
        }
    }

    private static func invites(from rows: PostgresRowSequence) async throws -> [Invite] {
        var invites: [Invite] = []
        for try await (token, chatID, createdBy, createdAt) in rows.decode((String, Int64, Int64, Date).self) {
            invites.append(Invite(token: token, chatID: chatID, createdBy: createdBy, createdAt: createdAt))
        }
        return invites
    }
}
