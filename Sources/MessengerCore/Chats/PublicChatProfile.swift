import Foundation

/// What anyone may learn about a chat from its `public_name` (jwt-api.md §3.3.4), without signing in.
public struct PublicChatProfile: Sendable, Equatable {
    public let id: Int64
    public let type: ChatType
    public let name: String?
    public let title: String?
    public let description: String?
    public let publicName: String
    public let createdAt: Date
    public let memberCount: Int
}
