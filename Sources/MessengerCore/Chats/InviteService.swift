/// Invite links of groups and channels (jwt-api.md §3.6): owners and admins create, list and
/// revoke them; anyone may preview one; any signed-in user may join through an un-revoked one.
public struct InviteService: Sendable {
    /// Result cap of the invite list (D-22).
    public static let listCap = 100

    let repository: InviteRepository
    let membership: ChatMembership

    public init(core: CoreServices) {
        self.repository = InviteRepository(database: core.database, logger: core.logger)
        self.membership = ChatMembership(core: core)
    }

    /// A new token on every call.
    public func create(in chatID: Int64, by userID: Int64) async throws -> Invite {
        try await repository.create(in: chatID, by: userID)
    }

    /// Un-revoked invites, newest first, at most `listCap`.
    public func activeInvites(of chatID: Int64, requestedBy userID: Int64) async throws -> [Invite] {
        guard let role = try await membership.role(of: userID, in: chatID) else { throw InviteError.chatNotAccessible }
        guard role.isManager else { throw InviteError.notManager }
        return try await repository.activeInvites(of: chatID, limit: Self.listCap)
    }

    public func revoke(token: String, by userID: Int64) async throws {
        try await repository.revoke(token: token, by: userID)
    }

    public func preview(token: String) async throws -> InvitePreview {
        try await repository.preview(token: token)
    }

    public func join(token: String, userID: Int64) async throws -> InviteAcceptance {
        try await repository.join(token: token, userID: userID)
    }
}
