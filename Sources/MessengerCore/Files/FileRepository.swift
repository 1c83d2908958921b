import Foundation
import Logging
import PostgresNIO

/// The SQL of `files`: rows are written after their object exists and read with the access rule
/// of jwt-api.md §3.5.2 (D-1).
struct FileRepository: Sendable {
    let database: PostgresClient
    let logger: Logger

    static let columns = "id, uploader_id, bucket, object_key, filename, mime_type, size_bytes, created_at"

    typealias Row = (Int64, Int64, String, String, String, String?, Int64?, Date)

    static func file(_ row: Row) -> StoredFile {
        StoredFile(
            id: row.0, uploaderID: row.1, bucket: row.2, objectKey: row.3, filename: row.4, mimeType: row.5,
            sizeBytes: row.6, createdAt: row.7)
    }

    /// Thrown when `(bucket, object_key)` is already taken by another row.
    struct KeyTaken: Error {}

    func insert(
        uploaderID: Int64, bucket: String, key: String, filename: String, mimeType: String, size: Int64
    ) async throws -> StoredFile {
        do {
            let rows = try await database.query(
                """
                INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type, size_bytes)
                VALUES (\(uploaderID), \(bucket), \(key), \(filename), \(mimeType), \(size))
                RETURNING id, uploader_id, bucket, object_key, filename, mime_type, size_bytes, created_at
                """, logger: logger)
            for try await row in rows.decode(Row.self) { return Self.file(row) }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw KeyTaken()
        }
        throw FileError.notFound
    }

    func isKeyTaken(bucket: String, key: String) async throws -> Bool {
        let rows = try await database.query(
            "SELECT 1 FROM files WHERE bucket = \(bucket) AND object_key = \(key)", logger: logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    func file(id: Int64) async throws -> StoredFile? {
        try await first("SELECT \(unescaped: Self.columns) FROM files WHERE id = \(id)")
    }

    func file(bucket: String, key: String) async throws -> StoredFile? {
        try await first("SELECT \(unescaped: Self.columns) FROM files WHERE bucket = \(bucket) AND object_key = \(key)")
    }

    /// The file when `userID` may read it: its uploader; a current member of a chat with a message
    /// attaching it; or anyone when it is an active user's avatar or a sticker image.
    func readableFile(id: Int64, by userID: Int64) async throws -> StoredFile? {
        try await first(
            """
            SELECT \(unescaped: Self.columns) FROM files f
            WHERE f.id = \(id) AND (
                f.uploader_id = \(userID)
                OR EXISTS (SELECT 1 FROM messages m JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = \(userID)
                           WHERE m.file_id = f.id)
                OR EXISTS (SELECT 1 FROM users u WHERE u.avatar_file_id = f.id AND u.is_active)
                OR EXISTS (SELECT 1 FROM stickers s WHERE s.file_id = f.id))
            """)
    }

    func delete(id: Int64) async throws {
        try await database.query("DELETE FROM files WHERE id = \(id)", logger: logger)
    }

    private func first(_ query: PostgresQuery) async throws -> StoredFile? {
        let rows = try await database.query(query, logger: logger)
        for try await row in rows.decode(Row.self) { return Self.file(row) }
        return nil
    }
}
