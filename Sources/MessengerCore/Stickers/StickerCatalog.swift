import Logging
import PostgresNIO

/// The stickers every user may send (jwt-api.md §3.7, legacy-api.md §5.17): all packs, one list.
public struct StickerCatalog: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public init(core: CoreServices) {
        self.init(database: core.database, logger: core.logger)
    }

    /// Every sticker of every pack, by id. Not capped: the catalogue is seed data, a few dozen rows.
    public func allStickers() async throws -> [Sticker] {
        try await stickers(
            """
            SELECT s.id, s.label, p.name, f.bucket, f.object_key
            FROM stickers s JOIN sticker_packs p ON p.id = s.pack_id JOIN files f ON f.id = s.file_id
            ORDER BY s.id
            """)
    }

    public func sticker(id: Int64) async throws -> Sticker? {
        try await stickers(
            """
            SELECT s.id, s.label, p.name, f.bucket, f.object_key
            FROM stickers s JOIN sticker_packs p ON p.id = s.pack_id JOIN files f ON f.id = s.file_id
            WHERE s.id = \(id)
            """
        ).first
    }

    private func stickers(_ query: PostgresQuery) async throws -> [Sticker] {
        let rows = try await database.query(query, logger: logger)
        var stickers: [Sticker] = []
        for try await (id, label, packName, bucket, key) in rows.decode((Int64, String, String, String, String).self) {
            stickers.append(Sticker(id: id, label: label, packName: packName, imageBucket: bucket, imageKey: key))
        }
        return stickers
    }
}
