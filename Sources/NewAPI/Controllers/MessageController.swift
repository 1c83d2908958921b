import Hummingbird
import MessengerCore

/// POST and GET /chats/{id}/messages (jwt-api.md §3.4): parse, authorize, call the core, encode.
struct MessageController {
    let core: CoreServices
    let authenticator: RequestAuthenticator
    let messages: MessageService
    let history: MessageHistory

    init(core: CoreServices, authenticator: RequestAuthenticator) {
        self.core = core
        self.authenticator = authenticator
        self.messages = MessageService(core: core)
        self.history = MessageHistory(core: core)
    }

    func addRoutes<Context: NewAPIRequestContext>(to router: Router<Context>) {
        router.post("/chats/:id/messages") { request, context in try await send(request, context) }
        router.get("/chats/:id/messages") { request, context in try await list(request, context) }
    }

    func send(_ request: Request, _ context: some NewAPIRequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let chatID = try PathID.parse(context)
        let body = try await JSONRequestBody.requiredObject(of: request)
        let parsed = try SendMessageRequest(
            body: body, idempotencyHeader: request.headers.first { $0.name.canonicalName == "idempotency-key" }?.value,
            maxLength: core.limits.messageMaxLength)
        try await core.rateLimiter.enforce(.sendPerUser, subject: String(identity.userID))
        let outcome: SendOutcome
        do {
            outcome = try await messages.send(parsed.draft, from: identity.userID, to: chatID)
        } catch let error as MessageError {
            throw Self.apiError(error)
        }
        let message = outcome.message
        var reply: [String: JSONValue] = [
            "id": .integer(message.id),
            "chat_id": .integer(message.chatID),
            "sender_id": .integer(message.senderID),
            "content": .string(message.content ?? ""),
            "message_type": .string(message.kind),
            "type": .string(message.kind),
            "created_at": JSONValue(rfc3339: message.createdAt),
        ]
        if let stickerID = message.stickerID { reply["sticker_id"] = .integer(stickerID) }
        if let duration = message.durationSeconds { reply["duration_seconds"] = .integer(Int64(duration)) }
        if let fileID = message.fileID { reply["file_id"] = .integer(fileID) }
        let status: HTTPResponse.Status
        switch outcome {
        case .created: status = .created
        case .duplicate: status = .ok
        }
        return try JSONResponse.encode(JSONValue.object(reply), status: status)
    }

    func list(_ request: Request, _ context: some NewAPIRequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let chatID = try PathID.parse(context)
        let page = try Self.page(from: request.uri.queryParameters)
        let views: [MessageView]
        do {
            views = try await history.page(page, of: chatID, for: identity.userID)
        } catch let error as MessageError {
            throw Self.apiError(error)
        }
        return try JSONResponse.encode(JSONValue.array(views.map(Self.json)))
    }

    /// `limit` (default 50, clamped to 1...100), then `after_id` (wins) or `before`.
    static func page(from query: Parameters) throws -> MessagePage {
        var limit = MessagePage.defaultLimit
        if let text = query["limit"] {
            guard let value = Int(text) else { throw APIError(.badRequest, "Invalid limit") }
            limit = min(max(value, MessagePage.limitRange.lowerBound), MessagePage.limitRange.upperBound)
        }
        if let text = query["after_id"] {
            guard let id = Int64(text) else { throw APIError(.badRequest, "Invalid after_id") }
            return .after(id: id, limit: limit)
        }
        if let text = query["before"] {
            guard let id = Int64(text) else { throw APIError(.badRequest, "Invalid before") }
            return .before(id: id, limit: limit)
        }
        return .latest(limit: limit)
    }

    static func apiError(_ error: MessageError) -> APIError {
        switch error {
        case .notAMember: APIError(.forbidden, "Not a member of this chat")
        case .channelIsReadOnly: APIError(.forbidden, "Only admins can post in channels")
        case .stickerNotFound: APIError(.notFound, "Sticker not found")
        case .fileNotFound: APIError(.notFound, "File not found")
        }
    }

    /// The Message object of jwt-api.md §3.0 (list form).
    static func json(_ view: MessageView) -> JSONValue {
        let message = view.message
        return [
            "id": .integer(message.id),
            "chat_id": .integer(message.chatID),
            "sender_id": .integer(message.senderID),
            "content": JSONValue(message.content),
            "message_type": .string(message.kind),
            "created_at": JSONValue(rfc3339: message.createdAt),
            "sender_username": .string(view.senderUsername),
            "sender_display_name": .string(view.senderDisplayName ?? view.senderUsername),
            "sender_is_admin": .bool(view.senderIsAdmin),
            "sender_avatar_url": JSONValue(view.senderAvatarURL),
            "sticker_url": JSONValue(view.stickerURL),
            "sticker_label": JSONValue(view.stickerLabel),
            "attachment_url": JSONValue(view.attachmentURL),
            "duration_seconds": JSONValue(message.durationSeconds),
            "file_id": JSONValue(message.fileID),
            "sticker_id": JSONValue(message.stickerID),
            "filename": JSONValue(view.attachmentFilename),
            "mime_type": JSONValue(view.attachmentMimeType),
            "size_bytes": JSONValue(view.attachmentSize),
        ]
    }
}
