import Foundation

/// One chat as a member sees it (jwt-api.md §3.0 ChatDetail).
public struct ChatDetail: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public let id: Int64
        public let username: String
        /// The stored value, without the username fallback the chat list applies.
        public let displayName: String?
        public let role: ChatRole
    }

    public let id: Int64
    public let type: ChatType
    public let name: String?
    public let title: String?
    public let description: String?
    public let publicName: String?
    public let ownerID: Int64
    public let createdAt: Date
    /// By `joined_at`, then user id; at most `ChatService.memberListCap` entries (D-22).
    public let members: [Member]
    public let myRole: ChatRole
    /// All members, also when `members` is truncated.
    public let memberCount: Int
}
