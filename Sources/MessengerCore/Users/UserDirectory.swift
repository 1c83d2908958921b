import Logging
import PostgresNIO

/// Looking up other users: by id, by username and by search (jwt-api.md §3.2.2–§3.2.5; the legacy
/// user list reads through it too). Only active users are ever found; blocked ones still are, as
/// the reference showed them.
public struct UserDirectory: Sendable {
    /// The cap on one search answer (D-22); the "new chat" picker lists the first page with an
    /// empty query.
    public static let searchLimit = 50

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public init(core: CoreServices) {
        self.init(database: core.database, logger: core.logger)
    }

    /// The active user with this id, or nil.
    public func publicProfile(id: Int64) async throws -> UserProfile? {
        try await profiles(
            """
            SELECT \(unescaped: Self.columns) FROM users u LEFT JOIN files f ON f.id = u.avatar_file_id
            WHERE u.id = \(id) AND u.is_active
            """
        ).first
    }

    /// The active user whose username equals `username` up to ASCII case, or nil. The comparison
    /// is the one the unique index enforces (`ascii_casefold`), so the index answers it.
    public func byUsername(_ username: String) async throws -> UserProfile? {
        // PostgreSQL text cannot hold NUL, and no stored username contains one.
        guard !username.unicodeScalars.contains("\0") else { return nil }
        return try await profiles(
            """
            SELECT \(unescaped: Self.columns) FROM users u LEFT JOIN files f ON f.id = u.avatar_file_id
            WHERE ascii_casefold(u.username) = ascii_casefold(\(username)) AND u.is_active
            """
        ).first
    }

    /// Active users whose username or display name contains `query`, case-insensitively, taken
    /// literally (`%` and `_` are not wildcards). An empty query matches everyone. Sorted by
    /// username, ASCII case folded, in code-point order (the same on every server, whatever its
    /// locale); at most `limit` (capped at ``searchLimit``).
    public func search(_ query: String, limit: Int = searchLimit) async throws -> [UserProfile] {
        guard !query.unicodeScalars.contains("\0") else { return [] }
        let limit = max(0, min(limit, Self.searchLimit))
        let pattern = UserSearchPattern.containing(query)
        return try await profiles(
            """
            SELECT \(unescaped: Self.columns) FROM users u LEFT JOIN files f ON f.id = u.avatar_file_id
            WHERE u.is_active AND (u.username ILIKE \(pattern) ESCAPE '\\' OR u.display_name ILIKE \(pattern) ESCAPE '\\')
            ORDER BY ascii_casefold(u.username) COLLATE "C", u.id
            LIMIT \(limit)
            """
        )
    }

    /// Every active user but `excludedID`, in api_legacy's order (legacy-api.md §5.6): usernames
    /// compared with ASCII letters case-folded and everything else by code point, as SQLite's
    /// NOCASE collation does. Not capped: the legacy user list has no paging, and the SPA finds
    /// `dm:@name` targets in it.
    public func allUsers(except excludedID: Int64) async throws -> [UserProfile] {
        try await profiles(
            """
            SELECT \(unescaped: Self.columns) FROM users u LEFT JOIN files f ON f.id = u.avatar_file_id
            WHERE u.is_active AND u.id <> \(excludedID)
            ORDER BY ascii_casefold(u.username) COLLATE "C", u.id
            """
        )
    }

    static let columns = """
        u.id, u.username, u.display_name, u.bio, u.is_admin, f.id, f.bucket, f.object_key, f.filename, f.mime_type
        """

    private func profiles(_ query: PostgresQuery) async throws -> [UserProfile] {
        let rows = try await database.query(query, logger: logger)
        var profiles: [UserProfile] = []
        for try await (id, username, displayName, bio, isAdmin, fileID, bucket, key, filename, mimeType) in rows.decode(
            (Int64, String, String?, String?, Bool, Int64?, String?, String?, String?, String?).self)
        {
            var avatar: UserAvatar?
            if let fileID, let bucket, let key, let filename {
                avatar = UserAvatar(fileID: fileID, bucket: bucket, objectKey: key, filename: filename, mimeType: mimeType)
            }
            profiles.append(UserProfile(id: id, username: username, displayName: displayName, bio: bio, isAdmin: isAdmin, avatar: avatar))
        }
        return profiles
    }
}
