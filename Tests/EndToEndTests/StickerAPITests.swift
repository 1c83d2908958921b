import Foundation
import Logging
import PostgresNIO
import Testing
import TestSupport

@Suite("JWT API: stickers (real gateway binary)")
struct StickerAPITests {
    static let logger = Logger(label: "tests")
    static let seedLabels = ["grin", "lol", "heart", "like", "party", "cry", "cool", "fire"]

    static func withCaller(_ body: @Sendable (GatewayProcess, APISession, PostgresClient) async throws -> Void) async throws {
        let environment = try ObjectURLProbe.gatewayEnvironment()
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: environment) { gateway in
                let caller = try await APISession.register(on: gateway, username: "stickers")
                try await body(gateway, caller, client)
            }
        }
    }

    static func id(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int64 {
        let rows = try await client.query(query, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw NoRow()
    }

    struct NoRow: Error {}

    /// The seed pack (§8.2), with a second pack's sticker inserted between its 4th and 5th, so id
    /// order and pack order differ. Returns the sticker ids in id order.
    static func seedStickers(_ client: PostgresClient, uploader: Int64) async throws -> [(id: Int64, label: String, key: String)] {
        let emojis = try await id(client, "INSERT INTO sticker_packs (name) VALUES ('Emojis') RETURNING id")
        let extra = try await id(client, "INSERT INTO sticker_packs (name) VALUES ('Extra') RETURNING id")
        var stickers: [(id: Int64, label: String, key: String)] = []
        for (index, label) in seedLabels.enumerated() {
            if index == 4 {
                stickers.append(try await sticker(client, pack: extra, label: "wave", key: "stickers/extra/wave.svg", uploader: uploader))
            }
            stickers.append(try await sticker(client, pack: emojis, label: label, key: "stickers/s0\(index + 1).svg", uploader: uploader))
        }
        return stickers
    }

    static func sticker(_ client: PostgresClient, pack: Int64, label: String, key: String, uploader: Int64) async throws -> (id: Int64, label: String, key: String) {
        let file = try await id(client, """
            INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type, size_bytes)
            VALUES (\(uploader), 'bh-stickers', \(key), \(label + ".svg"), 'image/svg+xml', 0) RETURNING id
            """)
        let sticker = try await id(client, "INSERT INTO stickers (pack_id, label, file_id) VALUES (\(pack), \(label), \(file)) RETURNING id")
        return (sticker, label, key)
    }

    static func isPresigned(_ url: String?, key: String) -> Bool {
        guard let url else { return false }
        let endpoint = ProcessInfo.processInfo.environment["S3_ENDPOINT"] ?? "-"
        let query = ObjectURLProbe.query(of: url)
        return url.hasPrefix("\(endpoint)/bh-stickers/\(key)?") && url.contains("%2F") && query["X-Amz-Signature"]?.count == 64
            // Stickers are trusted seed data: no download disposition, even for SVG.
            && query["response-content-disposition"] == nil && query["response-content-type"] == nil
    }

    @Test("GET /stickers: every sticker of every pack in id order, each with a presigned url")
    func list() async throws {
        try await Self.withCaller { gateway, caller, client in
            let empty = try await caller.request(.GET, "/stickers")
            #expect(empty.status == 200)
            #expect(try empty.json() as? [Any] != nil && (try empty.json() as? [Any])?.isEmpty == true)

            let stickers = try await Self.seedStickers(client, uploader: caller.userID)
            let reply = try await caller.request(.GET, "/stickers")
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "Content-Type") == "application/json; charset=utf-8")
            let listed = try #require(try reply.json() as? [[String: Any]])
            #expect(listed.compactMap { ($0["id"] as? NSNumber)?.int64Value } == stickers.map(\.id))
            #expect(listed.compactMap { $0["label"] as? String } == ["grin", "lol", "heart", "like", "wave", "party", "cry", "cool", "fire"])
            for (item, sticker) in zip(listed, stickers) {
                #expect(Set(item.keys) == ["id", "label", "url"])
                #expect(Self.isPresigned(item["url"] as? String, key: sticker.key), "\(item)")
            }

            let anonymous = try await HTTPTestClient.request(gateway.baseURL + "/stickers")
            #expect(anonymous.status == 401)
            #expect(try anonymous.object()["error"] as? String == "Missing Authorization header")
        }
    }

    @Test("GET /stickers/{id}/image: 302 to the presigned image; 404 for unknown stickers and empty keys")
    func image() async throws {
        try await Self.withCaller { gateway, caller, client in
            let stickers = try await Self.seedStickers(client, uploader: caller.userID)
            let heart = stickers[2]
            let redirect = try await ObjectURLProbe.get(gateway.baseURL + "/stickers/\(heart.id)/image", accessToken: caller.accessToken)
            #expect(redirect.status == 302)
            #expect(Self.isPresigned(redirect.location, key: heart.key))
            #expect(redirect.headers.first(name: "Cache-Control") == "no-store")
            #expect(redirect.body.isEmpty)

            let emojis = try await Self.id(client, "SELECT id FROM sticker_packs WHERE name = 'Emojis'")
            let keyless = try await Self.sticker(client, pack: emojis, label: "ghost", key: "", uploader: caller.userID)
            let unavailable = try await caller.request(.GET, "/stickers/\(keyless.id)/image")
            #expect(unavailable.status == 404)
            #expect(try unavailable.object()["error"] as? String == "Sticker image unavailable")
            // The list still shows it, with no URL.
            let listed = try #require(try await caller.request(.GET, "/stickers").json() as? [[String: Any]])
            #expect(listed.last?["url"] is NSNull)

            let missing = try await caller.request(.GET, "/stickers/\(keyless.id + 100)/image")
            #expect(missing.status == 404)
            #expect(try missing.object()["error"] as? String == "Sticker not found")
            let notNumeric = try await caller.request(.GET, "/stickers/grin/image")
            #expect(notNumeric.status == 404)
            #expect(try notNumeric.object()["error"] as? String == "Not found")

            let anonymous = try await ObjectURLProbe.get(gateway.baseURL + "/stickers/\(heart.id)/image", accessToken: nil)
            #expect(anonymous.status == 401)
        }
    }
}
