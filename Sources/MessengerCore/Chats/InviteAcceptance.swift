/// The outcome of joining through an invite (jwt-api.md §3.6.5).
public struct InviteAcceptance: Sendable, Equatable {
    public let chatID: Int64
    /// `member` for a new member; the current role for an existing one.
    public let role: ChatRole
    public let alreadyMember: Bool
}
