import Hummingbird
import MessengerCore

/// §5.17 the sticker list and §5.19 the stable sticker image URL.
struct StickerRoutes: Sendable {
    let catalog: StickerCatalog
    let objectURLs: any ObjectURLSigning

    init(core: CoreServices) {
        self.catalog = StickerCatalog(core: core)
        self.objectURLs = core.objectURLs
    }

    func add<Context: LegacyRequestContext>(to table: LegacyRouteTable<Context>) {
        table.api(.get, "/stickers") { _, context in try await list(context) }
        table.api(.get, "/stickers/:id/image") { _, context in try await image(context) }
    }

    func list(_ context: some LegacyRequestContext) async throws -> Response {
        _ = try context.requireSession()
        let stickers = try await catalog.allStickers()
        return LegacyJSONResponse.make(.array(stickers.map(LegacyObjects.sticker)))
    }

    func image(_ context: some LegacyRequestContext) async throws -> Response {
        _ = try context.requireSession()
        guard let text = context.parameters.get("id"), let id = PythonText.identifierOrBeyond(text),
              let sticker = try await catalog.sticker(id: id), let url = sticker.imageURL(signedBy: objectURLs)
        else { throw LegacyError.notFoundPage }
        return UserRoutes.temporaryRedirect(to: url)
    }
}
