import Foundation
import Logging
import PostgresNIO

/// The `users` (and `user_settings`) SQL of registration, login and the Me profile.
struct UserAccountRepository: Sendable {
    let database: PostgresClient
    let logger: Logger

    /// What login needs to decide about an active account.
    struct LoginCandidate: Sendable {
        let id: Int64
        let username: String
        let passwordHash: String
        let isAdmin: Bool
        let isBlocked: Bool
    }

    /// The user row and its default settings row, in one transaction (D-18). Throws
    /// ``AccountError/usernameOrEmailTaken`` when either unique index refuses the row.
    func create(_ form: RegistrationForm, passwordHash: String) async throws -> Int64 {
        try await create(username: form.username, email: form.email, passwordHash: passwordHash, displayName: form.displayName)
    }

    /// The row behind both registrations; `email` is nil for legacy accounts.
    func create(username: String, email: String?, passwordHash: String, displayName: String) async throws -> Int64 {
        do {
            return try await database.transaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO users (username, email, password_hash, display_name, is_active, is_admin, is_blocked)
                    VALUES (\(username), \(email), \(passwordHash), \(displayName), true, false, false)
                    RETURNING id
                    """, logger: logger)
                var created: Int64?
                for try await id in rows.decode(Int64.self) { created = id }
                guard let id = created else { throw AccountStoreFailure.noRowReturned }
                try await connection.query(
                    "INSERT INTO user_settings (user_id, theme, notifications_enabled, language) VALUES (\(id), 'light', true, 'en')",
                    logger: logger)
                return id
            }
        } catch let error where Self.isUniqueViolation(error) {
            throw AccountError.usernameOrEmailTaken
        }
    }

    /// The active account with this username (ASCII case-insensitively, through the unique index).
    func loginCandidate(username: String) async throws -> LoginCandidate? {
        let rows = try await database.query(
            """
            SELECT id, username, password_hash, is_admin, is_blocked FROM users
            WHERE ascii_casefold(username) = ascii_casefold(\(username)) AND is_active
            """, logger: logger)
        for try await (id, stored, hash, admin, blocked) in rows.decode((Int64, String, String, Bool, Bool).self) {
            return LoginCandidate(id: id, username: stored, passwordHash: hash, isAdmin: admin, isBlocked: blocked)
        }
        return nil
    }

    /// Replaces a weaker stored hash, unless the password changed meanwhile (then the newer
    /// hash wins).
    func replacePasswordHash(userID: Int64, from old: String, to new: String, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE users SET password_hash = \(new) WHERE id = \(userID) AND password_hash = \(old)", logger: logger)
    }

    func recordActivity(userID: Int64, on connection: PostgresConnection) async throws {
        try await connection.query("UPDATE users SET last_activity = now() WHERE id = \(userID)", logger: logger)
    }

    /// The row behind the Me object, with its avatar file's location when it has one.
    func profileRow(userID: Int64) async throws -> ProfileRow? {
        let rows = try await database.query(
            """
            SELECT u.id, u.username, u.display_name, u.bio, u.is_admin, u.email, u.created_at,
                   f.bucket, f.object_key, f.filename, f.mime_type
            FROM users u LEFT JOIN files f ON f.id = u.avatar_file_id
            WHERE u.id = \(userID)
            """, logger: logger)
        let decoded = rows.decode(
            (Int64, String, String?, String?, Bool, String?, Date, String?, String?, String?, String?).self)
        for try await (id, username, displayName, bio, isAdmin, email, createdAt, bucket, key, filename, mimeType) in decoded {
            var avatar: ProfileRow.Avatar?
            if let bucket, let key {
                avatar = ProfileRow.Avatar(bucket: bucket, key: key, filename: filename ?? key, mimeType: mimeType)
            }
            return ProfileRow(
                id: id, username: username, displayName: displayName, bio: bio, isAdmin: isAdmin, email: email,
                createdAt: createdAt, avatar: avatar)
        }
        return nil
    }

    struct ProfileRow: Sendable {
        struct Avatar: Sendable {
            let bucket: String
            let key: String
            let filename: String
            let mimeType: String?
        }

        let id: Int64
        let username: String
        let displayName: String?
        let bio: String?
        let isAdmin: Bool
        let email: String?
        let createdAt: Date
        let avatar: Avatar?
    }

    /// SQLSTATE 23505, never the message text (D-20).
    private static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }
}

/// The database answered in a way its constraints rule out.
enum AccountStoreFailure: Error {
    case noRowReturned
}
