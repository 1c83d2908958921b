import Foundation

/// Chats of both API generations: creating them (one direct chat per pair), listing, reading,
/// per-member favourites and mutes, and leaving (jwt-api.md §3.3).
public struct ChatService: Sendable {
    /// Result caps (D-22): clients get full arrays, so these bound the work per request.
    public static let chatListCap = 500
    public static let memberListCap = 200

    let core: CoreServices
    let repository: ChatRepository

    public init(core: CoreServices) {
        self.core = core
        self.repository = ChatRepository(database: core.database, logger: core.logger)
    }

    /// Applies the rules of §3.3.1 in its order, then creates the chat with all its members in
    /// one transaction. A direct chat that already exists for the pair is returned, not duplicated.
    public func create(_ draft: ChatDraft, by creatorID: Int64) async throws -> ChatCreation {
        var others: [Int64] = []
        for id in draft.memberIDs where id != creatorID && !others.contains(id) {
            others.append(id)
        }
        switch draft.type {
        case .direct:
            // Naming fields are ignored for direct chats (D-19): nothing to validate.
            guard others.count == 1, let otherID = others.first else { throw ChatError.directChatNeedsOneOtherMember }
            let (id, created) = try await openDirectChat(between: creatorID, and: otherID)
            return ChatCreation(id: id, type: .direct, title: nil, created: created)
        case .group, .channel:
            if draft.type == .channel && draft.title.isEmpty {
                throw ChatError.titleRequired
            }
            let publicName = draft.publicName.flatMap { $0.isEmpty ? nil : $0 }
            if let publicName, !PublicName.isValid(publicName) {
                throw ChatError.invalidPublicName
            }
            // A channel's name is its title (jwt-api.md §3.3.1).
            let name = draft.type == .channel ? draft.title : draft.name
            let id = try await repository.createNamedChat(
                type: draft.type, owner: creatorID, memberIDs: others, name: name, title: draft.title,
                description: draft.description, publicName: publicName)
            return ChatCreation(id: id, type: draft.type, title: draft.title, created: true)
        }
    }

    /// The pair's direct chat, created when missing (also for the legacy API's "get or create").
    /// `created` is false for an existing chat; members who had left it are brought back.
    public func openDirectChat(between userID: Int64, and otherID: Int64) async throws -> (id: Int64, created: Bool) {
        guard userID != otherID else { throw ChatError.directChatNeedsOneOtherMember }
        return try await repository.openDirectChat(owner: userID, other: otherID)
    }

    /// Favourites first, then most recently active (`updated_at`), then newest id; at most
    /// `chatListCap` chats.
    public func chats(of userID: Int64) async throws -> [ChatSummary] {
        try await repository.chatList(of: userID, limit: Self.chatListCap) { avatar in
            avatar.url(signedBy: core.objectURLs)
        }
    }

    /// The user's direct chats for the legacy list, newest activity first; at most `chatListCap`.
    public func directChats(of userID: Int64) async throws -> [DirectChatEntry] {
        var entries: [DirectChatEntry] = []
        let rows = try await core.database.execute(
            DirectChatListStatement(userID: userID, limit: Int64(Self.chatListCap)), logger: core.logger)
        for try await entry in rows {
            entries.append(entry)
        }
        return entries
    }

    /// Throws `ChatError.notAMember` when the chat does not exist or the user is not a member.
    public func detail(of chatID: Int64, for userID: Int64) async throws -> ChatDetail {
        try await repository.detail(of: chatID, for: userID, memberLimit: Self.memberListCap)
    }

    /// Throws `ChatError.notFound` when no chat has this name (case-insensitively).
    public func publicProfile(named publicName: String) async throws -> PublicChatProfile {
        guard let profile = try await repository.publicProfile(named: publicName) else { throw ChatError.notFound }
        return profile
    }

    /// Idempotent; members only (`ChatError.notAMember`).
    public func addFavorite(userID: Int64, chatID: Int64) async throws {
        try await repository.addFavorite(userID: userID, chatID: chatID)
    }

    /// Idempotent, and open to non-members, as in the reference: there is nothing to protect.
    public func removeFavorite(userID: Int64, chatID: Int64) async throws {
        try await repository.removeFavorite(userID: userID, chatID: chatID)
    }

    /// Mutes until `until`, or indefinitely when nil; members only (`ChatError.notAMember`).
    public func mute(userID: Int64, chatID: Int64, until: Date?) async throws {
        try await repository.mute(userID: userID, chatID: chatID, until: until)
    }

    public func unmute(userID: Int64, chatID: Int64) async throws {
        try await repository.unmute(userID: userID, chatID: chatID)
    }

    /// Leaves the chat. The owner may leave only as its last member (`ChatError.ownerMustStay`).
    /// After the commit, `member_removed` ends the leaver's live subscriptions on every node (D-9).
    public func leave(userID: Int64, chatID: Int64) async throws -> ChatDeparture {
        try await MemberRemovedEvent.announce(repository.leave(userID: userID, chatID: chatID), on: core.bus, logger: core.logger)
    }
}
