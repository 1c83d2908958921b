import CSQLite
import Foundation

/// An api_legacy SQLite database built by a test, in the v2 (§10.1) or v1 (§10.2) layout, in a
/// directory of its own with an `uploads/` folder beside it.
final class LegacyFixture {
    enum Layout { case v1, v2 }

    let directory: URL
    let path: String
    var uploads: URL { directory.appendingPathComponent("uploads") }

    /// Werkzeug hashes from legacy-api.md §9.3 (password `testpass`): P6 (pbkdf2, 1000 rounds) and
    /// P9 (scrypt, small parameters), both quick to check.
    static let pbkdf2Hash = "pbkdf2:sha256:1000$AbCdEfGh12345678$c44bcd50078bb5dccdf0f3892bcfe1889a23076f750d38e47c9ffac3247e9a77"
    static let scryptHash = "scrypt:1024:8:1$AbCdEfGh12345678$ab292162346cea8dac16bca0372a1beea7df39ba94a1f0f0898efa289c7bcdbb3a9c2a24252beb373b10875648394a7388f0449d9ae8e3d88f43e88dda41edec"
    /// P7: `pässwörd ✓`.
    static let unicodePasswordHash = "pbkdf2:sha256:1000$saltsalt$83cbb90a9ffaf74c6ca42fbfc817a1477dbcfa103d543d94214a58f580707b4e"

    /// `usernamesNoCase: false` builds the users table without NOCASE, as a hand-made or very old
    /// database might be, so names that collide in the target can exist.
    init(_ layout: Layout, usernamesNoCase: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("legacy-\(UUID().uuidString.prefix(12))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("uploads/voice"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("uploads/avatars"), withIntermediateDirectories: true)
        path = directory.appendingPathComponent("messenger.db").path
        let collation = usernamesNoCase ? " COLLATE NOCASE" : ""
        switch layout {
        case .v2:
            try execute("""
                CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT UNIQUE NOT NULL\(collation),
                    password_hash TEXT NOT NULL, display_name TEXT, bio TEXT, avatar_path TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP);
                CREATE TABLE conversations (id INTEGER PRIMARY KEY AUTOINCREMENT,
                    user_a_id INTEGER NOT NULL REFERENCES users(id), user_b_id INTEGER NOT NULL REFERENCES users(id),
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP, UNIQUE(user_a_id, user_b_id));
                CREATE INDEX idx_conversations_users ON conversations(user_a_id, user_b_id);
                CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT,
                    conversation_id INTEGER NOT NULL REFERENCES conversations(id), from_user_id INTEGER NOT NULL REFERENCES users(id),
                    content TEXT, message_type TEXT NOT NULL DEFAULT 'text', attachment_path TEXT, duration_seconds INTEGER,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP);
                CREATE INDEX idx_messages_conv ON messages(conversation_id, id);
                CREATE TABLE user_settings (user_id INTEGER PRIMARY KEY REFERENCES users(id),
                    theme TEXT NOT NULL DEFAULT 'light', notifications_enabled INTEGER NOT NULL DEFAULT 1,
                    language TEXT NOT NULL DEFAULT 'en');
                CREATE TABLE stickers (id INTEGER PRIMARY KEY AUTOINCREMENT, pack_name TEXT NOT NULL, label TEXT NOT NULL,
                    file_path TEXT NOT NULL);
                """)
        case .v1:
            try execute("""
                CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT UNIQUE NOT NULL\(collation),
                    password_hash TEXT NOT NULL, created_at DATETIME DEFAULT CURRENT_TIMESTAMP);
                CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, from_user_id INTEGER NOT NULL REFERENCES users(id),
                    to_user_id INTEGER NOT NULL REFERENCES users(id), content TEXT, created_at DATETIME DEFAULT CURRENT_TIMESTAMP);
                """)
        }
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    func execute(_ sql: String) throws {
        var database: OpaquePointer?
        guard sqlite3_open(path, &database) == SQLITE_OK, let database else { throw FixtureError("cannot open \(path)") }
        defer { sqlite3_close(database) }
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(database, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "?"
            sqlite3_free(message)
            throw FixtureError("\(text) in \(sql.prefix(200))")
        }
    }

    /// Writes a voice file into uploads/voice and returns its `attachment_path`.
    func addVoiceFile(userID: Int64, bytes: Int = 64) throws -> String {
        let name = "voice_\(userID)_\(UUID().uuidString.lowercased().prefix(8)).webm"
        try Data(repeating: 0x1A, count: bytes).write(to: uploads.appendingPathComponent("voice/\(name)"))
        return "voice/\(name)"
    }

    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
