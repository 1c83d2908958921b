/// What a leave changed, so the caller can act on it: the real-time layer drops the leaver's
/// subscriptions to the chat on every node (D-9). `ChatService.leave` publishes `member_removed` after the commit.
public struct ChatDeparture: Sendable, Equatable {
    public let chatID: Int64
    public let userID: Int64
    /// Members left after the leave; at zero the chat's invites were revoked (D-25).
    public let remainingMembers: Int
    public let revokedInvites: Int
}
