import Foundation
import Logging
import PostgresNIO

/// The `refresh_tokens` rows behind issued refresh tokens (jwt-api.md §4.3, §4.4). A row holds
/// only an HMAC of its token, so a database leak yields no usable tokens.
struct RefreshTokenStore: Sendable {
    let database: PostgresClient
    let logger: Logger

    /// One stored refresh token. Every token descends from one login; they share `familyID`.
    struct Row: Sendable, Equatable {
        let id: Int64
        let userID: Int64
        let familyID: UUID
        let revoked: Bool
        /// Decided by the database clock, the one `expires_at` was written with.
        let expired: Bool
    }

    @discardableResult
    func insert(
        userID: Int64, tokenHash: String, jti: String, familyID: UUID, expiresAt: Date, on connection: PostgresConnection
    ) async throws -> Int64 {
        let rows = try await connection.query(
            """
            INSERT INTO refresh_tokens (user_id, token_hash, jti, family_id, expires_at)
            VALUES (\(userID), \(tokenHash), \(jti), \(familyID), \(expiresAt))
            RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw AccountStoreFailure.noRowReturned
    }

    /// The row stored under `tokenHash`, else the one api_cpp stored under `legacyHash`
    /// (§4.4 step 2), which is then treated exactly like a current row.
    func find(tokenHash: String, legacyHash: String) async throws -> Row? {
        let rows = try await database.query(
            """
            SELECT id, user_id, family_id, revoked, expires_at <= now() FROM refresh_tokens
            WHERE token_hash = \(tokenHash) OR token_hash = \(legacyHash)
            ORDER BY token_hash = \(tokenHash) DESC
            LIMIT 1
            """, logger: logger)
        for try await (id, userID, familyID, revoked, expired) in rows.decode((Int64, Int64, UUID, Bool, Bool).self) {
            return Row(id: id, userID: userID, familyID: familyID, revoked: revoked, expired: expired)
        }
        return nil
    }

    /// Revokes row `id` in favour of `successor`. False when the row was already revoked, which
    /// means a concurrent refresh with the same token won (the row lock serialises the two).
    func retire(id: Int64, replacedBy successor: Int64, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query(
            """
            UPDATE refresh_tokens SET revoked = true, revoked_at = now(), replaced_by = \(successor)
            WHERE id = \(id) AND NOT revoked
            RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }

    /// Revokes every live token of the user's family: the answer to a replayed token.
    func revokeFamily(userID: Int64, familyID: UUID) async throws -> Int {
        let rows = try await database.query(
            """
            UPDATE refresh_tokens SET revoked = true, revoked_at = now()
            WHERE user_id = \(userID) AND family_id = \(familyID) AND NOT revoked
            RETURNING id
            """, logger: logger)
        var count = 0
        for try await _ in rows.decode(Int64.self) { count += 1 }
        return count
    }

    /// Revokes the user's row stored under either hash (logout).
    func revoke(tokenHash: String, legacyHash: String, userID: Int64) async throws {
        try await database.query(
            """
            UPDATE refresh_tokens SET revoked = true, revoked_at = now()
            WHERE (token_hash = \(tokenHash) OR token_hash = \(legacyHash)) AND user_id = \(userID) AND NOT revoked
            """, logger: logger)
    }

    /// Revokes every live token of the user, for a block or soft-delete (D-6).
    func revokeAll(userID: Int64) async throws -> Int {
        let rows = try await database.query(
            """
            UPDATE refresh_tokens SET revoked = true, revoked_at = now()
            WHERE user_id = \(userID) AND NOT revoked
            RETURNING id
            """, logger: logger)
        var count = 0
        for try await _ in rows.decode(Int64.self) { count += 1 }
        return count
    }

    /// Deletes rows nobody can use any more (jwt-api.md §4.4: purge after 30 days): expired for
    /// `retention`, or revoked that long ago and expired. Rows younger than that stay, so reusing a
    /// rotated token within its lifetime is still recognised as reuse.
    func purgeRetired(retention: Duration) async throws -> Int {
        let seconds = Double(retention.components.seconds)
        let rows = try await database.query(
            """
            DELETE FROM refresh_tokens
            WHERE expires_at < now() - make_interval(secs => \(seconds))
               OR (revoked AND revoked_at < now() - make_interval(secs => \(seconds)) AND expires_at < now())
            RETURNING id
            """, logger: logger)
        var count = 0
        for try await _ in rows.decode(Int64.self) { count += 1 }
        return count
    }
}
