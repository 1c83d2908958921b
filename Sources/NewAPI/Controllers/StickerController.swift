import Hummingbird
import MessengerCore

/// The sticker routes of jwt-api.md §3.7.
public struct StickerController: Sendable {
    let catalog: StickerCatalog
    let objectURLs: any ObjectURLSigning
    let authenticator: RequestAuthenticator

    public init(core: CoreServices, authenticator: RequestAuthenticator) {
        catalog = StickerCatalog(core: core)
        objectURLs = core.objectURLs
        self.authenticator = authenticator
    }

    public func addRoutes<Context: NewAPIRequestContext>(to router: Router<Context>) {
        router.get("/stickers") { request, _ in try await list(request) }
        router.get("/stickers/:id/image") { request, context in try await image(request, context) }
    }

    static let stickerNotFound = APIError(.notFound, "Sticker not found")
    static let imageUnavailable = APIError(.notFound, "Sticker image unavailable")

    func list(_ request: Request) async throws -> Response {
        _ = try await authenticator.identity(of: request)
        let stickers = try await catalog.allStickers()
        return try JSONResponse.encode(JSONValue.array(stickers.map { sticker in
            [
                "id": .integer(sticker.id),
                "label": .string(sticker.label),
                "url": JSONValue(sticker.imageURL(signedBy: objectURLs)),
            ]
        }))
    }

    func image(_ request: Request, _ context: some RequestContext) async throws -> Response {
        _ = try await authenticator.identity(of: request)
        let id = try PathID.parse(context)
        guard let sticker = try await catalog.sticker(id: id) else { throw Self.stickerNotFound }
        guard let url = sticker.imageURL(signedBy: objectURLs) else { throw Self.imageUnavailable }
        // The URL expires; a cached redirect would outlive it.
        return Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
    }
}
