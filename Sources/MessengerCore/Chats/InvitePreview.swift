/// What an invite shows before joining (jwt-api.md §3.6.4), to anyone holding the token.
public struct InvitePreview: Sendable, Equatable {
    public let chatID: Int64
    public let type: ChatType
    public let title: String?
    public let description: String?
    public let memberCount: Int
}
