import Logging
import PostgresNIO

/// Who belongs to which chat, for every authorization decision about a chat (HTTP routes of both
/// API generations, WebSocket subscriptions). Each call is one indexed query; a database failure
/// is thrown, never reported as "not a member" (D-31).
public struct ChatMembership: Sendable {
    /// What a user may do in one chat: the chat's type, and the user's role when a member.
    public struct Access: Sendable, Equatable {
        public let chatType: ChatType
        /// nil when the user is not a member.
        public let role: ChatRole?

        public init(chatType: ChatType, role: ChatRole?) {
            self.chatType = chatType
            self.role = role
        }
    }

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public init(core: CoreServices) {
        self.init(database: core.database, logger: core.logger)
    }

    /// The user's role in the chat; nil when the user is not a member or the chat does not exist.
    public func role(of userID: Int64, in chatID: Int64) async throws -> ChatRole? {
        let rows = try await database.query(
            "SELECT role FROM chat_members WHERE chat_id = \(chatID) AND user_id = \(userID)", logger: logger)
        for try await role in rows.decode(String.self) {
            return try ChatRole(stored: role)
        }
        return nil
    }

    /// The chat's type; nil when no such chat exists.
    public func chatType(of chatID: Int64) async throws -> ChatType? {
        let rows = try await database.query("SELECT type::text FROM chats WHERE id = \(chatID)", logger: logger)
        for try await type in rows.decode(String.self) {
            return try ChatType(stored: type)
        }
        return nil
    }

    /// Type and role in one round trip; nil when no such chat exists.
    public func access(of userID: Int64, to chatID: Int64) async throws -> Access? {
        let rows = try await database.query(
            """
            SELECT c.type::text, m.role FROM chats c
            LEFT JOIN chat_members m ON m.chat_id = c.id AND m.user_id = \(userID)
            WHERE c.id = \(chatID)
            """, logger: logger)
        for try await (type, role) in rows.decode((String, String?).self) {
            return Access(chatType: try ChatType(stored: type), role: try role.map(ChatRole.init(stored:)))
        }
        return nil
    }
}
