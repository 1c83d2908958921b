/// A member's role in a chat (`chat_members.role`). `admin` is granted by no endpoint, but it is
/// honoured wherever roles are checked (jwt-api.md §3.3).
public enum ChatRole: String, Sendable, Equatable, CaseIterable {
    case owner
    case admin
    case member

    /// Owners and admins manage invites and post in channels.
    public var isManager: Bool { self != .member }
}
