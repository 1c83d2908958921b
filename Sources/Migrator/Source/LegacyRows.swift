/// Rows as api_legacy stored them (legacy-api.md §10.1), before any mapping. Text columns keep
/// what had to be repaired (`LegacyText`); timestamps stay text until the mapping parses them.

public struct LegacyUser: Sendable {
    public var id: Int64
    public var username: LegacyText
    public var passwordHash: LegacyText
    public var displayName: LegacyText?
    public var bio: LegacyText?
    public var avatarPath: LegacyText?
    public var createdAt: LegacyText?
}

public struct LegacySettings: Sendable {
    public var userID: Int64
    public var theme: LegacyText
    public var notificationsEnabled: Int64?
    public var language: LegacyText
}

public struct LegacySticker: Sendable {
    public var id: Int64
    public var packName: LegacyText
    public var label: LegacyText
    public var filePath: LegacyText
}

public struct LegacyConversation: Sendable {
    public var id: Int64
    public var userA: Int64?
    public var userB: Int64?
    public var updatedAt: LegacyText?
}

public struct LegacyMessage: Sendable {
    public var id: Int64
    /// v2: the stored conversation; v1: nil (the conversation comes from the sender/recipient pair).
    public var conversationID: Int64?
    public var fromUserID: Int64?
    /// v1 only.
    public var toUserID: Int64?
    public var content: LegacyText?
    public var messageType: LegacyText?
    public var attachmentPath: LegacyText?
    /// The stored value and whether it was a readable integer (NULL is nil and readable).
    public var durationSeconds: Int64?
    public var durationUnreadable: Bool
    /// Set when the stored text is the canonical form (nearly every row): then `createdAt` is not read.
    public var createdAtMicroseconds: Int64?
    public var createdAt: LegacyText?
}
