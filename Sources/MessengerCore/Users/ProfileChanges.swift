/// A partial profile edit: a nil field keeps the stored value, a set one replaces it.
/// (`PUT /users/{id}`, jwt-api.md §3.2.6: absent fields stay, D-26.)
public struct ProfileChanges: Sendable, Equatable {
    public var username: String?
    public var displayName: String?
    public var bio: String?

    public init(username: String? = nil, displayName: String? = nil, bio: String? = nil) {
        self.username = username
        self.displayName = displayName
        self.bio = bio
    }
}
