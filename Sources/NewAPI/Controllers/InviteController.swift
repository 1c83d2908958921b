import Hummingbird
import MessengerCore

/// The invite routes of jwt-api.md §3.6: parse, call `InviteService`, encode, with each route's
/// own status and text for the service's refusals.
public struct InviteController: Sendable {
    let invites: InviteService
    let authenticator: RequestAuthenticator
    let rateLimiter: RateLimiter

    public init(core: CoreServices, authenticator: RequestAuthenticator) {
        self.invites = InviteService(core: core)
        self.authenticator = authenticator
        self.rateLimiter = core.rateLimiter
    }

    public func addRoutes<Context: NewAPIRequestContext>(to router: Router<Context>) {
        router.post("/chats/:id/invites") { request, context in try await create(request, context) }
        router.get("/chats/:id/invites") { request, context in try await list(request, context) }
        router.delete("/invites/:token") { request, context in try await revoke(request, context) }
        router.get("/invites/:token/preview") { _, context in try await preview(context) }
        router.post("/invites/:token/join") { request, context in try await join(request, context) }
    }

    static let chatNotAccessible = APIError(.notFound, "Chat not found or access denied")
    static let inviteNotFound = APIError(.notFound, "Invite not found")
    static let inviteRevoked = APIError(.gone, "Invite has been revoked")

    func create(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let chatID = try PathID.parse(context)
        do {
            return try JSONResponse.encode(Self.json(try await invites.create(in: chatID, by: identity.userID)), status: .created)
        } catch let error as InviteError {
            switch error {
            case .chatNotAccessible: throw Self.chatNotAccessible
            case .directChat: throw APIError(.badRequest, "Cannot create invites for direct chats")
            case .notManager: throw APIError(.forbidden, "Only owner or admin can create invites")
            case .notFound, .revoked: throw APIError.internalError
            }
        }
    }

    func list(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let chatID = try PathID.parse(context)
        do {
            let active = try await invites.activeInvites(of: chatID, requestedBy: identity.userID)
            return try JSONResponse.encode(JSONValue.array(active.map(Self.json)))
        } catch let error as InviteError {
            switch error {
            case .chatNotAccessible: throw Self.chatNotAccessible
            case .notManager: throw APIError(.forbidden, "Only owner or admin can list invites")
            case .directChat, .notFound, .revoked: throw APIError.internalError
            }
        }
    }

    func revoke(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let token = try Self.token(context)
        do {
            try await invites.revoke(token: token, by: identity.userID)
        } catch let error as InviteError {
            switch error {
            case .notFound, .chatNotAccessible, .revoked: throw APIError(.notFound, "Invite not found or already revoked")
            case .notManager: throw APIError(.forbidden, "Only owner or admin can revoke invites")
            case .directChat: throw APIError.internalError
            }
        }
        return try JSONResponse.encode(JSONValue.object(["revoked": true]))
    }

    /// Public (the `/join/<token>` landing page), hence rate-limited per IP.
    func preview(_ context: some NewAPIRequestContext) async throws -> Response {
        try await rateLimiter.enforce(.publicLookupPerIP, subject: context.clientIP)
        do {
            let preview = try await invites.preview(token: try Self.token(context))
            return try JSONResponse.encode(JSONValue.object([
                "chat_id": .integer(preview.chatID),
                "type": .string(preview.type.rawValue),
                "title": JSONValue(preview.title),
                "description": JSONValue(preview.description),
                "member_count": JSONValue(preview.memberCount),
            ]))
        } catch let error as InviteError {
            throw Self.apiErrorForUse(error)
        }
    }

    func join(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let token = try Self.token(context)
        do {
            let joined = try await invites.join(token: token, userID: identity.userID)
            return try JSONResponse.encode(JSONValue.object([
                "chat_id": .integer(joined.chatID),
                "role": .string(joined.role.rawValue),
                "already_member": .bool(joined.alreadyMember),
            ]))
        } catch let error as InviteError {
            throw Self.apiErrorForUse(error)
        }
    }

    /// Preview and join answer alike.
    static func apiErrorForUse(_ error: InviteError) -> APIError {
        switch error {
        case .notFound, .chatNotAccessible: inviteNotFound
        case .revoked: inviteRevoked
        case .directChat, .notManager: APIError.internalError
        }
    }

    static func token(_ context: some RequestContext) throws -> String {
        guard let token = context.parameters.get("token"), !token.isEmpty else { throw APIError.notFound }
        return token
    }

    /// Invite (§3.0).
    static func json(_ invite: Invite) -> JSONValue {
        [
            "token": .string(invite.token),
            "chat_id": .integer(invite.chatID),
            "created_by": .integer(invite.createdBy),
            "created_at": JSONValue(rfc3339: invite.createdAt),
            "link": .string(invite.link),
        ]
    }
}
