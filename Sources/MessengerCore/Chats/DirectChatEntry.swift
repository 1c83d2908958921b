import Foundation

/// One direct chat as the legacy chat list shows it (legacy-api.md §5.7): the other participant
/// and the newest message, raw; the adapter applies its preview and fallback rules.
public struct DirectChatEntry: Sendable, Equatable {
    public struct Peer: Sendable, Equatable {
        public let id: Int64
        public let username: String
        /// As stored: NULL or `""` when never set.
        public let displayName: String?
        public let hasAvatar: Bool
    }

    public let id: Int64
    public let peer: Peer
    public let updatedAt: Date
    /// `message_type` of the newest message (highest id); nil without messages.
    public let lastMessageKind: String?
    public let lastMessageContent: String?
    public let lastMessageAt: Date?
}
