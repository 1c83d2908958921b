import Logging
import PostgresNIO

/// Reading and replacing a user's ``UserSettings`` row. The two APIs differ on reads: the JWT API
/// creates the row on first read (``ensuredSettings(userID:)``), the legacy API does not
/// (``storedSettings(userID:)``).
public struct SettingsStore: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public init(core: CoreServices) {
        self.init(database: core.database, logger: core.logger)
    }

    /// The stored row, or nil when the user has none.
    public func storedSettings(userID: Int64) async throws -> UserSettings? {
        let rows = try await database.query(
            "SELECT theme, notifications_enabled, language FROM user_settings WHERE user_id = \(userID)", logger: logger)
        return try await Self.first(of: rows)
    }

    /// The stored row, inserted with the defaults first when missing. Should the row still be
    /// unreadable (the user was deleted meanwhile), the defaults.
    public func ensuredSettings(userID: Int64) async throws -> UserSettings {
        // One round trip: the second SELECT's snapshot cannot see the CTE's insert, so at most one
        // branch yields the row. A concurrent first read that loses the insert race sees neither
        // and answers the defaults, which is exactly what the winner stored.
        let rows = try await database.query(
            """
            WITH inserted AS (
                INSERT INTO user_settings (user_id) SELECT id FROM users WHERE id = \(userID)
                ON CONFLICT (user_id) DO NOTHING
                RETURNING theme, notifications_enabled, language
            )
            SELECT theme, notifications_enabled, language FROM inserted
            UNION ALL
            SELECT theme, notifications_enabled, language FROM user_settings WHERE user_id = \(userID)
            """, logger: logger)
        return try await Self.first(of: rows) ?? .defaults
    }

    /// Stores `settings` as given, inserting or overwriting all three columns (full replacement;
    /// the callers apply their API's coercions first). Does nothing for an unknown user.
    public func replace(userID: Int64, with settings: UserSettings) async throws {
        try await database.query(
            """
            INSERT INTO user_settings (user_id, theme, notifications_enabled, language)
            SELECT id, \(settings.theme), \(settings.notificationsEnabled), \(settings.language) FROM users WHERE id = \(userID)
            ON CONFLICT (user_id) DO UPDATE
            SET theme = EXCLUDED.theme, notifications_enabled = EXCLUDED.notifications_enabled, language = EXCLUDED.language
            """, logger: logger)
    }

    private static func first(of rows: PostgresRowSequence) async throws -> UserSettings? {
        for try await (theme, notificationsEnabled, language) in rows.decode((String, Bool, String).self) {
            return UserSettings(theme: theme, notificationsEnabled: notificationsEnabled, language: language)
        }
        return nil
    }
}
