/// Which of the two database layouts of legacy-api.md §10 a file has. Columns are always read by
/// name: an upgraded v1 database has `created_at` before `display_name` (§10.2 step 1).
public struct LegacyLayout: Sendable, Equatable {
    public enum Generation: String, Sendable {
        /// The current schema (§10.1).
        case v2
        /// The older layout, converted in flight exactly as the §10.2 upgrade would.
        case v1
    }

    public var generation: Generation
    public var userColumns: Set<String>
    public var messageColumns: Set<String>
    public var hasSettingsTable: Bool
    public var hasStickersTable: Bool

    public init(reading database: SQLiteDatabase) throws {
        userColumns = try database.columns(of: "users")
        messageColumns = try database.columns(of: "messages")
        guard userColumns.isSuperset(of: ["id", "username", "password_hash"]) else {
            throw SQLiteError(message: "\(database.path) has no api_legacy users table (id, username, password_hash)")
        }
        if messageColumns.contains("conversation_id") {
            generation = .v2
        } else if messageColumns.isSuperset(of: ["from_user_id", "to_user_id"]) {
            generation = .v1
        } else {
            throw SQLiteError(message: "\(database.path): messages has neither conversation_id (v2) nor from_user_id/to_user_id (v1)")
        }
        let conversationColumns = try database.columns(of: "conversations")
        if generation == .v2, !conversationColumns.isSuperset(of: ["id", "user_a_id", "user_b_id"]) {
            throw SQLiteError(message: "\(database.path): messages has conversation_id but there is no conversations table")
        }
        // §10.2 step 4: a v1 database gets a default settings row per user on upgrade; a v2 one
        // whose settings table is missing is treated the same way.
        let settingsColumns = try database.columns(of: "user_settings")
        hasSettingsTable = generation == .v2 && !settingsColumns.isEmpty
        hasStickersTable = !(try database.columns(of: "stickers")).isEmpty
    }

    /// `column` when the table has it, else `NULL`, so one SELECT fits every layout.
    func user(_ column: String) -> String { userColumns.contains(column) ? column : "NULL" }
    func message(_ column: String) -> String { messageColumns.contains(column) ? column : "NULL" }
}
