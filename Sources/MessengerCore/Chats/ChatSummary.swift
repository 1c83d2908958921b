import Foundation

/// One entry of a user's chat list (jwt-api.md §3.0 ChatListItem), as seen by that user.
public struct ChatSummary: Sendable, Equatable {
    /// The other member of a direct chat.
    public struct Peer: Sendable, Equatable {
        public let id: Int64
        public let username: String
        /// The stored value; nil when never set.
        public let displayName: String?
        /// A fresh signed URL of the avatar; nil without one.
        public let avatarURL: String?
    }

    public let id: Int64
    public let type: ChatType
    public let name: String?
    public let title: String?
    public let description: String?
    public let publicName: String?
    public let updatedAt: Date
    /// Content of the newest message (highest id); `""` for one without text; nil with no messages.
    public let lastMessage: String?
    public let lastAt: Date?
    public let isFavorite: Bool
    /// A mute row whose `muted_until` is NULL or in the future (D-28).
    public let isMuted: Bool
    /// Direct chats only, and only while another member remains.
    public let peer: Peer?
}
