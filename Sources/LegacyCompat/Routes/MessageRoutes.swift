import Hummingbird
import MessengerCore

/// §5.9 reading and §5.10 sending messages. Sending goes through the core's one send path
/// (`MessageService.send`), so a legacy message is stored and published exactly like one sent
/// through `POST /chats/{id}/messages`, and WebSocket clients see it.
struct MessageRoutes: Sendable {
    let messages: MessageService
    let history: MessageHistory

    init(core: CoreServices) {
        self.messages = MessageService(core: core)
        self.history = MessageHistory(core: core)
    }

    func add<Context: LegacyRequestContext>(to table: LegacyRouteTable<Context>) {
        table.api(.get, "/messages") { request, context in try await list(request, context) }
        table.api(.post, "/messages") { request, context in try await send(request, context) }
    }

    static let chatIDQueryRequired = LegacyError(.badRequest, "?chat_id=<id> required")
    static let chatIDRequired = LegacyError(.badRequest, "chat_id required")
    static let invalidType = LegacyError(.badRequest, "Invalid message type")
    static let contentEmpty = LegacyError(.badRequest, "Content cannot be empty")
    static let tooLong = LegacyError(.badRequest, "Message too long (max 4000 chars)")
    static let stickerRequired = LegacyError(.badRequest, "sticker_id required")
    /// §14.12: only ids of existing stickers are stored.
    static let invalidSticker = LegacyError(.badRequest, "Invalid sticker_id")
    static let conversationNotFound = LegacyError(.notFound, "Conversation not found")
    static let channelReadOnly = LegacyError(.forbidden, "Only admins can post in channels")

    static let pageSize = 100
    static let maximumLength = 4000

    func list(_ request: Request, _ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let query = request.uri.queryParameters
        guard let chatText = query["chat_id"], let chatID = PythonText.identifierOrBeyond(chatText) else {
            throw Self.chatIDQueryRequired
        }
        let afterID = query["after_id"].flatMap { PythonText.identifierOrBeyond($0) } ?? 0
        do {
            let views = try await history.page(.after(id: afterID, limit: Self.pageSize), of: chatID, for: session.userID)
            return LegacyJSONResponse.make(.array(views.map(LegacyObjects.message)))
        } catch MessageError.notAMember {
            throw Self.conversationNotFound
        }
    }

    func send(_ request: Request, _ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let body = try await LegacyJSONBody.object(request)
        guard let chatID = LegacyValue.identifier(body["chat_id"]) else { throw Self.chatIDRequired }
        let draft: MessageDraft
        switch body["type"] ?? .string("text") {
        case .string("text"):
            guard let raw = LegacyValue.textOrEmpty(body["content"]) else { throw Self.contentEmpty }
            let content = PythonText.strip(raw)
            guard !content.isEmpty else { throw Self.contentEmpty }
            guard PythonText.length(content) <= Self.maximumLength else { throw Self.tooLong }
            draft = MessageDraft(content: content, kind: .text)
        case .string("sticker"):
            let value = body["sticker_id"]
            guard LegacyValue.isTruthy(value) else { throw Self.stickerRequired }
            guard let text = value.flatMap(LegacyValue.stringForm), let stickerID = PythonText.identifierOrBeyond(text) else {
                throw Self.invalidSticker
            }
            // Stored as api_legacy stored it: the id's text, and now also the sticker reference.
            draft = MessageDraft(content: String(stickerID), kind: .sticker, stickerID: stickerID)
        default:
            throw Self.invalidType
        }
        let stored: StoredMessage
        do {
            stored = try await messages.send(draft, from: session.userID, to: chatID).message
        } catch let error as MessageError {
            switch error {
            case .notAMember: throw Self.conversationNotFound
            case .channelIsReadOnly: throw Self.channelReadOnly
            case .stickerNotFound: throw Self.invalidSticker
            case .fileNotFound: throw Self.conversationNotFound
            }
        }
        return try await createdReply(for: stored, reader: session.userID)
    }

    /// 201 with the Message object of the new row, read back with its sender and sticker.
    func createdReply(for stored: StoredMessage, reader: Int64) async throws -> Response {
        let views = try await history.page(.after(id: stored.id - 1, limit: 1), of: stored.chatID, for: reader)
        guard let view = views.first(where: { $0.message.id == stored.id }) else { throw Self.conversationNotFound }
        return LegacyJSONResponse.make(LegacyObjects.message(view), status: .created)
    }
}
