/// A user as other users see them (jwt-api.md §3.0 UserPublic, legacy-api.md UserSummary), with
/// the stored values left raw: the two API generations apply different display-name fallbacks and
/// build different avatar URLs from the same row.
public struct UserProfile: Sendable, Equatable {
    public let id: Int64
    public let username: String
    /// As stored: NULL for rows never edited, possibly `""` after an edit (jwt-api.md §1.7).
    public let displayName: String?
    public let bio: String?
    public let isAdmin: Bool
    public let avatar: UserAvatar?

    public init(id: Int64, username: String, displayName: String?, bio: String?, isAdmin: Bool, avatar: UserAvatar?) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.bio = bio
        self.isAdmin = isAdmin
        self.avatar = avatar
    }

    /// The JWT API's rule: the username only when the stored value is NULL; `""` stays `""`.
    /// (The legacy API also falls back on `""`.)
    public var displayNameOrUsername: String {
        displayName ?? username
    }
}
