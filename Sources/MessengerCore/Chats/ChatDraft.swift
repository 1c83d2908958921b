/// A chat as a client asks to create it, before the rules of jwt-api.md §3.3.1 are applied.
/// Fields hold what was sent (defaults for absent ones); `ChatService.create` validates them.
public struct ChatDraft: Sendable, Equatable {
    public var type: ChatType
    /// Other members as sent: may contain the creator and duplicates, which are dropped.
    public var memberIDs: [Int64]
    public var name: String
    public var title: String
    public var description: String
    /// nil when absent; `""` is stored as NULL.
    public var publicName: String?

    public init(
        type: ChatType = .direct, memberIDs: [Int64] = [], name: String = "", title: String = "",
        description: String = "", publicName: String? = nil
    ) {
        self.type = type
        self.memberIDs = memberIDs
        self.name = name
        self.title = title
        self.description = description
        self.publicName = publicName
    }
}
