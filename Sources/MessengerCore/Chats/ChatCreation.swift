/// The outcome of creating a chat. For a direct chat `created` is false when the pair already had
/// one, which is then returned instead (jwt-api.md §3.3.1: 200 instead of 201).
public struct ChatCreation: Sendable, Equatable {
    public let id: Int64
    public let type: ChatType
    /// The stored title; nil for direct chats, which carry none.
    public let title: String?
    public let created: Bool
}
