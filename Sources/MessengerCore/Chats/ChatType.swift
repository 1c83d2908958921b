/// The `chat_type` enum of the schema (jwt-api.md §3.3).
public enum ChatType: String, Sendable, Equatable, CaseIterable {
    case direct
    case group
    case channel
}
