import Foundation
import Logging
import PostgresNIO

/// Fills an EMPTY database with demo data for `make run`: three users (password `testpass`), a
/// group, a direct chat with a few messages, and the project's sticker pack. A database that holds
/// any user is left untouched, so this can never collide with migrated legacy ids.
public struct DemoSeeder: Sendable {
    public enum Outcome: Sendable, CustomStringConvertible {
        case seeded(users: Int, stickers: Int)
        case skippedNotEmpty

        public var description: String {
            switch self {
            case .seeded(let users, let stickers): "demo data created: \(users) users, \(stickers) stickers (password: testpass)"
            case .skippedNotEmpty: "database already has users; demo data not created"
            }
        }
    }

    static let password = "testpass"
    static let people: [(username: String, displayName: String)] = [("alice", "Alice"), ("bob", "Bob"), ("carol", "Carol")]
    /// The project's own sticker images under static/stickers/, stored in the stickers bucket.
    public static let stickerLabels = ["grin", "lol", "heart", "like", "party", "cry", "cool", "fire"]

    private func hasUsers() async throws -> Bool {
        let rows = try await client.query("SELECT EXISTS (SELECT 1 FROM users)", logger: logger)
        return try await rows.decode(Bool.self).first(where: { _ in true }) ?? false
    }

    public static func stickerObjectKey(index: Int) -> String {
        "stickers/s\(index < 9 ? "0" : "")\(index + 1).svg"
    }

    let client: PostgresClient
    let hasher: PasswordHasher
    let buckets: BucketSettings
    let blobs: any BlobStore
    /// Where the sticker SVGs are (static/stickers/ of the SPA directory).
    let stickerDirectory: URL
    let logger: Logger

    public init(
        client: PostgresClient, hasher: PasswordHasher, buckets: BucketSettings, blobs: any BlobStore,
        stickerDirectory: URL, logger: Logger
    ) {
        self.client = client
        self.hasher = hasher
        self.buckets = buckets
        self.blobs = blobs
        self.stickerDirectory = stickerDirectory
        self.logger = logger
    }

    /// Uploads the sticker images first: a seeded sticker must never point at a missing object.
    private func uploadStickerImages() async throws {
        for index in Self.stickerLabels.indices {
            let key = Self.stickerObjectKey(index: index)
            let file = stickerDirectory.appendingPathComponent(String(key.dropFirst("stickers/".count)))
            let data = try Data(contentsOf: file)
            try await blobs.put(bucket: buckets.stickers, key: key, data: data, contentType: "image/svg+xml")
        }
    }

    public func seedIfEmpty() async throws -> Outcome {
        let passwordHash = try await hasher.hash(Self.password)
        if try await hasUsers() { return .skippedNotEmpty }
        try await uploadStickerImages()
        return try await client.transaction(logger: logger) { connection in
            // Two seeders racing: the second waits here and then finds users.
            try await connection.query("LOCK TABLE users IN EXCLUSIVE MODE", logger: logger)
            let existing = try await connection.query("SELECT count(*) FROM users", logger: logger)
            for try await count in existing.decode(Int.self) where count > 0 {
                return .skippedNotEmpty
            }
            var userIDs: [Int64] = []
            for person in Self.people {
                let rows = try await connection.query(
                    """
                    INSERT INTO users (username, email, password_hash, display_name)
                    VALUES (\(person.username), \(person.username + "@example.com"), \(passwordHash), \(person.displayName))
                    RETURNING id
                    """, logger: logger)
                for try await id in rows.decode(Int64.self) { userIDs.append(id) }
            }
            try await connection.query(
                "INSERT INTO user_settings (user_id) SELECT unnest(\(userIDs))", logger: logger)
            let (alice, bob, carol) = (userIDs[0], userIDs[1], userIDs[2])

            let groupRows = try await connection.query(
                "INSERT INTO chats (type, name, title, owner_id) VALUES ('group', 'Dev Team', 'Dev Team', \(alice)) RETURNING id",
                logger: logger)
            var groupID: Int64 = 0
            for try await id in groupRows.decode(Int64.self) { groupID = id }
            try await connection.query(
                """
                INSERT INTO chat_members (chat_id, user_id, role)
                VALUES (\(groupID), \(alice), 'owner'), (\(groupID), \(bob), 'member'), (\(groupID), \(carol), 'member')
                """, logger: logger)

            let directKey = "\(min(alice, bob)):\(max(alice, bob))"
            let directRows = try await connection.query(
                "INSERT INTO chats (type, owner_id, direct_key) VALUES ('direct', \(alice), \(directKey)) RETURNING id",
                logger: logger)
            var directID: Int64 = 0
            for try await id in directRows.decode(Int64.self) { directID = id }
            try await connection.query(
                "INSERT INTO chat_members (chat_id, user_id, role) VALUES (\(directID), \(alice), 'owner'), (\(directID), \(bob), 'member')",
                logger: logger)
            let conversation: [(Int64, Int64, String)] = [
                (directID, alice, "Hey Bob! How's it going?"),
                (directID, bob, "Hey Alice! All good here. You?"),
                (groupID, carol, "Hi team, Carol here."),
            ]
            for (chatID, senderID, text) in conversation {
                try await connection.query(
                    "INSERT INTO messages (chat_id, sender_id, content, message_type) VALUES (\(chatID), \(senderID), \(text), 'text')",
                    logger: logger)
            }

            let packRows = try await connection.query(
                "INSERT INTO sticker_packs (name) VALUES ('Emojis') RETURNING id", logger: logger)
            var packID: Int64 = 0
            for try await id in packRows.decode(Int64.self) { packID = id }
            for (index, label) in Self.stickerLabels.enumerated() {
                let key = Self.stickerObjectKey(index: index)
                try await connection.query(
                    """
                    WITH file AS (
                        INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type, size_bytes)
                        VALUES (\(alice), \(buckets.stickers), \(key), \(label + ".svg"), 'image/svg+xml', 0)
                        RETURNING id
                    )
                    INSERT INTO stickers (pack_id, label, file_id) SELECT \(packID), \(label), id FROM file
                    """, logger: logger)
            }
            return .seeded(users: userIDs.count, stickers: Self.stickerLabels.count)
        }
    }
}
