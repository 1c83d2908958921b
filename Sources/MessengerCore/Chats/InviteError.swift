/// Why an invite operation was refused. Adapters map each case to their contract's status and text.
public enum InviteError: Error, Equatable, Sendable {
    /// The chat does not exist, or the caller is not a member of it.
    case chatNotAccessible
    /// Direct chats have exactly two members; nobody can be invited.
    case directChat
    /// Only owners and admins create, list and revoke invites.
    case notManager
    /// No invite has this token (for revoking: no un-revoked one in a chat of the caller's).
    case notFound
    case revoked
}
