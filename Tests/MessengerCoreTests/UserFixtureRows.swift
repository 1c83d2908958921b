import Foundation
import Logging
import PostgresNIO

/// Rows the users, settings and sticker tests start from, inserted with plain SQL so each test
/// states exactly the data it needs.
struct UserFixtureRows {
    let client: PostgresClient
    let logger = Logger(label: "tests")

    @discardableResult
    func user(
        _ username: String, displayName: String? = nil, bio: String? = nil,
        isActive: Bool = true, isBlocked: Bool = false, isAdmin: Bool = false
    ) async throws -> Int64 {
        try await insert(
            """
            INSERT INTO users (username, email, password_hash, display_name, bio, is_active, is_blocked, is_admin)
            VALUES (\(username), \(username.lowercased() + "@example.test"), 'x', \(displayName), \(bio), \(isActive), \(isBlocked), \(isAdmin))
            RETURNING id
            """)
    }

    func file(uploader: Int64, bucket: String = "bh-uploads", key: String? = nil, filename: String = "a.png", mimeType: String? = "image/png") async throws -> Int64 {
        let objectKey = key ?? "uploads/\(UUID().uuidString.lowercased())_\(filename)"
        return try await insert(
            """
            INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type, size_bytes)
            VALUES (\(uploader), \(bucket), \(objectKey), \(filename), \(mimeType), 0)
            RETURNING id
            """)
    }

    func setAvatar(of userID: Int64, to fileID: Int64) async throws {
        try await client.query("UPDATE users SET avatar_file_id = \(fileID) WHERE id = \(userID)", logger: logger)
    }

    func stickerPack(_ name: String) async throws -> Int64 {
        try await insert("INSERT INTO sticker_packs (name) VALUES (\(name)) RETURNING id")
    }

    func sticker(pack: Int64, label: String, file: Int64) async throws -> Int64 {
        try await insert("INSERT INTO stickers (pack_id, label, file_id) VALUES (\(pack), \(label), \(file)) RETURNING id")
    }

    func scalar<Value: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: Value.Type) async throws -> Value? {
        let rows = try await client.query(query, logger: logger)
        for try await value in rows.decode(Value.self) { return value }
        return nil
    }

    func insert(_ query: PostgresQuery) async throws -> Int64 {
        guard let id = try await scalar(query, as: Int64.self) else { throw NoRowReturned() }
        return id
    }

    struct NoRowReturned: Error {}
}
