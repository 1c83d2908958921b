import Hummingbird
import MessengerCore

/// §5.7 the direct-chat list and §5.8 get-or-create. Direct chats are the JWT API's direct chats:
/// one per pair, whichever API opened it.
struct ChatRoutes: Sendable {
    let chats: ChatService
    let directory: UserDirectory

    init(core: CoreServices) {
        self.chats = ChatService(core: core)
        self.directory = UserDirectory(core: core)
    }

    func add<Context: LegacyRequestContext>(to table: LegacyRouteTable<Context>) {
        table.api(.get, "/chats") { _, context in try await list(context) }
        table.api(.post, "/chats") { request, context in try await open(request, context) }
    }

    static let withUserRequired = LegacyError(.badRequest, "with_user_id required")
    static let withYourself = LegacyError(.badRequest, "Cannot chat with yourself")
    static let userNotFound = LegacyError(.notFound, "User not found")

    func list(_ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let entries = try await chats.directChats(of: session.userID)
        return LegacyJSONResponse.make(.array(entries.map(LegacyObjects.chatSummary)))
    }

    func open(_ request: Request, _ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let body = try await LegacyJSONBody.object(request)
        guard let otherID = LegacyValue.identifier(body["with_user_id"]) else { throw Self.withUserRequired }
        guard otherID != session.userID else { throw Self.withYourself }
        do {
            let (id, _) = try await chats.openDirectChat(between: session.userID, and: otherID)
            // 200 for new and existing chats alike (§5.8).
            return LegacyJSONResponse.make(["id": .integer(id)])
        } catch ChatError.unknownMember, ChatError.directChatNeedsOneOtherMember {
            throw Self.userNotFound
        }
    }
}
