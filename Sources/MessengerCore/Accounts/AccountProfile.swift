import Foundation

/// What an account owner sees about themselves (the Me object of jwt-api.md §3.0), with values as
/// stored: the API decides how NULLs appear on the wire.
public struct AccountProfile: Sendable, Equatable {
    public let id: Int64
    public let username: String
    public let displayName: String?
    public let bio: String?
    public let isAdmin: Bool
    /// NULL for accounts migrated from api_legacy, which had no e-mail addresses.
    public let email: String?
    public let createdAt: Date
    /// A fresh signed URL for the avatar, or nil without one.
    public let avatarURL: String?
}
