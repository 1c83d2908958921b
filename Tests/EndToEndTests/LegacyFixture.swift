import Foundation
import Logging
import PostgresNIO
import TestSupport

/// A gateway for the legacy tests: its own database, and its own STATIC_DIR holding a minimal SPA
/// laid out like the legacy one (so page tests do not depend on the project's SPA).
struct LegacyFixture: Sendable {
    let gateway: GatewayProcess
    let database: PostgresClient
    let staticDirectory: URL

    static let appHTML = #"<!doctype html><html><head><link rel="stylesheet" href="/static/style.css"></head><body class="app"><script src="/static/app.js"></script></body></html>"#

    static func with(environment: [String: String] = [:], _ body: @Sendable (LegacyFixture) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("legacy-static-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("stickers"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("<html><body>login page</body></html>".utf8).write(to: directory.appendingPathComponent("login.html"))
        try Data("<html><body>register page</body></html>".utf8).write(to: directory.appendingPathComponent("register.html"))
        try Data(appHTML.utf8).write(to: directory.appendingPathComponent("app.html"))
        try Data("body { color: #123456; }\n".utf8).write(to: directory.appendingPathComponent("style.css"))
        try Data("console.log('app');\n".utf8).write(to: directory.appendingPathComponent("app.js"))
        try Data("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8).write(to: directory.appendingPathComponent("stickers/heart.svg"))
        let variables = [
            "RATE_LIMIT_ENABLED": "false", "STATIC_DIR": directory.path, "BLOB_DIR": directory.appendingPathComponent("blobs").path,
        ].merging(environment) { $1 }
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: variables) { gateway in
                try await body(LegacyFixture(gateway: gateway, database: client, staticDirectory: directory))
            }
        }
    }

    static let logger = Logger(label: "legacy-tests")

    func execute(_ query: PostgresQuery) async throws {
        try await database.query(query, logger: Self.logger)
    }

    /// A sticker pack with one sticker whose image is `stickers/<name>.svg`; returns the id.
    func addSticker(label: String, pack: String = "Basic", uploader: Int64) async throws -> Int64 {
        let key = "stickers/\(label.lowercased()).svg"
        let rows = try await database.query(
            """
            WITH p AS (INSERT INTO sticker_packs (name) VALUES (\(pack)) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id),
                 f AS (INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type, size_bytes)
                       VALUES (\(uploader), 'bh-stickers', \(key), \(label), 'image/svg+xml', 10) RETURNING id)
            INSERT INTO stickers (pack_id, label, file_id) SELECT p.id, \(label), f.id FROM p, f RETURNING id
            """, logger: Self.logger)
        for try await id in rows.decode(Int64.self) { return id }
        return 0
    }
}
