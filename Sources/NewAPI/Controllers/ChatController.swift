import Foundation
import Hummingbird
import MessengerCore

/// The chat routes of jwt-api.md §3.3: parse, call `ChatService`, encode. Each route maps the
/// service's errors to its own status and text (not being a member is 403 on favourite and mute,
/// 404 on detail and leave).
public struct ChatController: Sendable {
    let chats: ChatService
    let authenticator: RequestAuthenticator
    let rateLimiter: RateLimiter

    public init(core: CoreServices, authenticator: RequestAuthenticator) {
        self.chats = ChatService(core: core)
        self.authenticator = authenticator
        self.rateLimiter = core.rateLimiter
    }

    public func addRoutes<Context: NewAPIRequestContext>(to router: Router<Context>) {
        router.post("/chats") { request, _ in try await create(request) }
        router.get("/chats") { request, _ in try await list(request) }
        // A literal segment outranks `:id` in Hummingbird's trie, whatever the registration order.
        router.get("/chats/by-name/:public_name") { _, context in try await publicProfile(context) }
        router.get("/chats/:id") { request, context in try await detail(request, context) }
        router.post("/chats/:id/favorite") { request, context in try await addFavorite(request, context) }
        router.delete("/chats/:id/favorite") { request, context in try await removeFavorite(request, context) }
        router.post("/chats/:id/mute") { request, context in try await mute(request, context) }
        router.delete("/chats/:id/mute") { request, context in try await unmute(request, context) }
        router.delete("/chats/:id/leave") { request, context in try await leave(request, context) }
    }

    // MARK: routes

    func create(_ request: Request) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let draft = try Self.draft(from: try await JSONRequestBody.requiredObject(of: request))
        let creation: ChatCreation
        do {
            creation = try await chats.create(draft, by: identity.userID)
        } catch let error as ChatError {
            throw Self.apiError(for: error, notAMember: .internalError)
        }
        var body: [String: JSONValue] = ["id": .integer(creation.id), "type": .string(creation.type.rawValue)]
        if let title = creation.title, !title.isEmpty {
            body["title"] = .string(title)
        }
        return try JSONResponse.encode(JSONValue.object(body), status: creation.created ? .created : .ok)
    }

    func list(_ request: Request) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let summaries = try await chats.chats(of: identity.userID)
        return try JSONResponse.encode(JSONValue.array(summaries.map(Self.json)))
    }

    func detail(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let chatID = try PathID.parse(context)
        do {
            return try JSONResponse.encode(Self.json(try await chats.detail(of: chatID, for: identity.userID)))
        } catch let error as ChatError {
            throw Self.apiError(for: error, notAMember: APIError(.notFound, "Chat not found or access denied"))
        }
    }

    /// Public (the `/c/<name>` deep link), hence rate-limited per IP.
    func publicProfile(_ context: some NewAPIRequestContext) async throws -> Response {
        try await rateLimiter.enforce(.publicLookupPerIP, subject: context.clientIP)
        guard let segment = context.parameters.get("public_name"), !segment.isEmpty else {
            throw APIError(.badRequest, "public_name is required")
        }
        // The path segment arrives percent-encoded; a malformed escape or a NUL (which no
        // PostgreSQL text can hold) names no chat.
        guard let name = segment.removingPercentEncoding, !name.contains("\0") else {
            throw APIError(.notFound, "Chat not found")
        }
        do {
            return try JSONResponse.encode(Self.json(try await chats.publicProfile(named: name)))
        } catch ChatError.notFound {
            throw APIError(.notFound, "Chat not found")
        }
    }

    func addFavorite(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let chatID = try PathID.parse(context)
        do {
            try await chats.addFavorite(userID: identity.userID, chatID: chatID)
        } catch let error as ChatError {
            throw Self.apiError(for: error, notAMember: Self.notAMemberForbidden)
        }
        return Response(status: .noContent)
    }

    func removeFavorite(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        try await chats.removeFavorite(userID: identity.userID, chatID: try PathID.parse(context))
        return Response(status: .noContent)
    }

    func mute(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let chatID = try PathID.parse(context)
        let until = try Self.mutedUntil(from: try await JSONRequestBody.value(of: request))
        do {
            try await chats.mute(userID: identity.userID, chatID: chatID, until: until)
        } catch let error as ChatError {
            throw Self.apiError(for: error, notAMember: Self.notAMemberForbidden)
        }
        return Response(status: .noContent)
    }

    func unmute(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        try await chats.unmute(userID: identity.userID, chatID: try PathID.parse(context))
        return Response(status: .noContent)
    }

    func leave(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let chatID = try PathID.parse(context)
        do {
            // The departure itself is published by the service (member_removed, D-9).
            _ = try await chats.leave(userID: identity.userID, chatID: chatID)
        } catch let error as ChatError {
            throw Self.apiError(for: error, notAMember: APIError(.notFound, "Not a member of this chat"))
        }
        return Response(status: .noContent)
    }

    // MARK: errors

    static let notAMemberForbidden = APIError(.forbidden, "Not a member")

    /// The contract's words for each refusal; `notAMember` differs per route.
    static func apiError(for error: ChatError, notAMember: APIError) -> APIError {
        switch error {
        case .notAMember: notAMember
        case .titleRequired: APIError(.badRequest, "title is required for channel type")
        case .directChatNeedsOneOtherMember: APIError(.badRequest, "direct chat requires exactly one other member_id")
        case .unknownMember: APIError(.badRequest, "member_ids contains an unknown user id")
        case .invalidPublicName: APIError(.badRequest, "public_name must be 3-32 characters: letters, digits, underscores only")
        case .publicNameTaken: APIError(.conflict, "public_name already taken")
        case .ownerMustStay: APIError(.badRequest, "Transfer ownership before leaving, or delete the chat")
        case .notFound: APIError(.notFound, "Chat not found")
        }
    }

    // MARK: request bodies

    /// The POST /chats body, checked by JSON type (D-30). Naming fields of a direct chat are
    /// ignored unread (D-19), so their types do not matter there.
    static func draft(from body: [String: JSONValue]) throws -> ChatDraft {
        var draft = ChatDraft()
        switch body["type"] {
        case nil, .null?: draft.type = .direct
        case .string(let text)? where ChatType(rawValue: text) != nil: draft.type = ChatType(rawValue: text) ?? .direct
        default: throw APIError(.badRequest, "type must be 'direct', 'group', or 'channel'")
        }
        switch body["member_ids"] {
        case nil, .null?: draft.memberIDs = []
        case .array(let values)?:
            draft.memberIDs = try values.map { value in
                guard let id = value.integerValue else { throw memberIDsNotIntegers }
                return id
            }
        default: throw memberIDsNotIntegers
        }
        guard draft.type != .direct else { return draft }
        draft.name = try optionalString(body, "name") ?? ""
        draft.title = try optionalString(body, "title") ?? ""
        draft.description = try optionalString(body, "description") ?? ""
        switch body["public_name"] {
        case nil, .null?: draft.publicName = nil
        case .string(let name)?: draft.publicName = name
        default: throw APIError(.badRequest, "public_name must be 3-32 characters: letters, digits, underscores only")
        }
        return draft
    }

    static let memberIDsNotIntegers = APIError(.badRequest, "member_ids must be an array of integers")

    /// A string field; null counts as absent. Another type is refused with a field-named message.
    static func optionalString(_ body: [String: JSONValue], _ field: String) throws -> String? {
        switch body[field] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw APIError(.badRequest, "\(field) must be a string")
        }
    }

    /// The optional mute body: no body, a non-object, or a missing or null `muted_until` mute
    /// indefinitely; a string must be an RFC 3339 instant.
    static func mutedUntil(from body: JSONValue?) throws -> Date? {
        guard case .object(let object)? = body else { return nil }
        switch object["muted_until"] {
        case nil, .null?: return nil
        case .string(let text)?:
            guard let date = Timestamp.parseRFC3339(text) else { throw invalidMutedUntil }
            return date
        default: throw invalidMutedUntil
        }
    }

    static let invalidMutedUntil = APIError(.badRequest, "Invalid muted_until")

    // MARK: response bodies

    /// ChatListItem (§3.0); `last_preview` repeats `last_message` for the older SPA, which reads it.
    static func json(_ chat: ChatSummary) -> JSONValue {
        [
            "id": .integer(chat.id),
            "type": .string(chat.type.rawValue),
            "name": JSONValue(chat.name),
            "title": JSONValue(chat.title),
            "description": JSONValue(chat.description),
            "public_name": JSONValue(chat.publicName),
            "updated_at": JSONValue(rfc3339: chat.updatedAt),
            "last_message": JSONValue(chat.lastMessage),
            "last_preview": JSONValue(chat.lastMessage),
            "last_at": JSONValue(rfc3339: chat.lastAt),
            "is_favorite": .bool(chat.isFavorite),
            "is_muted": .bool(chat.isMuted),
            "other_user_id": JSONValue(chat.peer?.id),
            "other_username": JSONValue(chat.peer?.username),
            "other_display_name": JSONValue(chat.peer.map { $0.displayName ?? $0.username }),
            "other_avatar_url": JSONValue(chat.peer?.avatarURL),
        ]
    }

    /// ChatDetail (§3.0): member `display_name` is the raw value, without the username fallback.
    static func json(_ chat: ChatDetail) -> JSONValue {
        [
            "id": .integer(chat.id),
            "type": .string(chat.type.rawValue),
            "name": JSONValue(chat.name),
            "title": JSONValue(chat.title),
            "description": JSONValue(chat.description),
            "public_name": JSONValue(chat.publicName),
            "owner_id": .integer(chat.ownerID),
            "created_at": JSONValue(rfc3339: chat.createdAt),
            "members": .array(chat.members.map { member in
                [
                    "id": .integer(member.id),
                    "username": .string(member.username),
                    "display_name": JSONValue(member.displayName),
                    "role": .string(member.role.rawValue),
                ]
            }),
            "my_role": .string(chat.myRole.rawValue),
            "member_count": JSONValue(chat.memberCount),
        ]
    }

    static func json(_ chat: PublicChatProfile) -> JSONValue {
        [
            "id": .integer(chat.id),
            "type": .string(chat.type.rawValue),
            "name": JSONValue(chat.name),
            "title": JSONValue(chat.title),
            "description": JSONValue(chat.description),
            "public_name": .string(chat.publicName),
            "created_at": JSONValue(rfc3339: chat.createdAt),
            "member_count": JSONValue(chat.memberCount),
        ]
    }
}
