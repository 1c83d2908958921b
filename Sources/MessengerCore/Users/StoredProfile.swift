/// The editable profile columns exactly as stored after an edit: no display-name fallback
/// (jwt-api.md §3.2.6 answers with these raw values).
public struct StoredProfile: Sendable, Equatable {
    public let id: Int64
    public let username: String
    public let displayName: String?
    public let bio: String?

    public init(id: Int64, username: String, displayName: String?, bio: String?) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.bio = bio
    }
}
