import Foundation
import Logging
import MessengerCore
import PostgresNIO
import Testing
import TestSupport

/// issue #7: the real `migrator` binary against real PostgreSQL and S3 (or a local blob dir).
@Suite("migrator run and verify (real binary)")
struct MigratorRunTests {
    static let logger = Logger(label: "migrator-tests")

    /// A clean v2 database: users with §9.3 hashes, settings, two sticker packs, three
    /// conversations, text (unicode edge cases), sticker and voice messages across months.
    static func cleanV2(blobs: any BlobStore) async throws -> (LegacyFixture, avatarKey: String, stickerKeys: [String]) {
        let fixture = try LegacyFixture(.v2)
        let tag = UUID().uuidString.lowercased().prefix(8)
        let avatarKey = "avatars/1/\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)).png"
        let stickerKeys = ["stickers/\(tag)-s01.svg", "stickers/\(tag)-wave.svg"]
        try await blobs.put(bucket: "bh-avatars", key: avatarKey, data: Data("png".utf8), contentType: "image/png")
        for key in stickerKeys {
            try await blobs.put(bucket: "bh-stickers", key: key, data: Data("<svg/>".utf8), contentType: "image/svg+xml")
        }
        let voice = try fixture.addVoiceFile(userID: 2)
        let q = LegacyFixture.quote
        try fixture.execute("""
            INSERT INTO users (id, username, password_hash, display_name, bio, avatar_path, created_at) VALUES
              (1, 'alice', \(q(LegacyFixture.pbkdf2Hash)), 'Alice', 'I ❤️ tea', \(q(avatarKey)), '2024-01-15 10:00:00'),
              (2, 'bob', \(q(LegacyFixture.scryptHash)), NULL, NULL, NULL, '2024-01-16 11:30:00'),
              (3, 'zoë', \(q(LegacyFixture.unicodePasswordHash)), '', 'مرحبا', NULL, '2024-01-17 12:00:00'),
              (4, 'carol', \(q(LegacyFixture.pbkdf2Hash)), 'Carol', NULL, NULL, '2024-02-01 08:00:00');
            INSERT INTO user_settings VALUES (1, 'dark', 0, 'de'), (2, 'light', 1, 'en');
            INSERT INTO stickers (id, pack_name, label, file_path) VALUES
              (1, 'Emojis', 'grin', \(q(stickerKeys[0]))), (2, 'emoji', 'wave', \(q(stickerKeys[1])));
            INSERT INTO conversations (id, user_a_id, user_b_id, updated_at) VALUES
              (1, 1, 2, '2024-03-01 09:00:00'), (2, 1, 3, '2024-01-20 00:00:00'), (3, 2, 4, '2024-02-02 00:00:00');
            INSERT INTO messages (id, conversation_id, from_user_id, content, message_type, attachment_path, duration_seconds, created_at) VALUES
              (1, 1, 1, 'Hey Bob! 👋', 'text', NULL, NULL, '2023-12-31 23:59:59'),
              (2, 1, 2, 'tab	here' || char(10) || 'newline \\ backslash \\N', 'text', NULL, NULL, '2024-01-01 00:00:00'),
              (3, 2, 3, 'e' || char(769) || ' مرحبا 𝄞', 'text', NULL, NULL, '2024-01-20 00:00:00'),
              (4, 1, 1, '1', 'sticker', NULL, NULL, '2024-02-10 10:10:10'),
              (5, 1, 2, '', 'voice', \(q(voice)), 7, '2024-03-01 09:00:00'),
              (6, 3, 4, '', 'text', NULL, NULL, '2024-02-02 00:00:00'),
              (7, 2, 1, '2', 'sticker', NULL, NULL, '2024-03-05 00:00:00');
            """)
        return (fixture, avatarKey, stickerKeys)
    }

    static func scalar<T: PostgresDecodable & Sendable>(_ client: PostgresClient, _ sql: String, as type: T.Type = T.self) async throws -> T? {
        for try await value in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(T.self) { return value }
        return nil
    }

    @Test("v2: run copies everything with the same ids, verify is green, a re-run copies nothing, a source change is picked up")
    func runVerifyRerunDelta() async throws {
        try await ScratchDatabase.with { database, client in
            let migrator = try MigratorProcess(databaseURL: database.url)
            let (fixture, avatarKey, stickerKeys) = try await Self.cleanV2(blobs: try migrator.blobs)

            let first = try await migrator.run("run", legacy: fixture)
            #expect(first.status == 0, "\(first.output)")
            #expect(first.count("users", "written") == 4)
            #expect(first.count("messages", "written") == 7)
            #expect(first.count("messages", "source_rows") == 7)
            #expect(first.report["problems_total"] as? Int == 0)

            #expect(try await Self.scalar(client, "SELECT string_agg(id || ':' || username, ',' ORDER BY id) FROM users", as: String.self) == "1:alice,2:bob,3:zoë,4:carol")
            #expect(try await Self.scalar(client, "SELECT password_hash FROM users WHERE id = 1", as: String.self) == LegacyFixture.pbkdf2Hash)
            #expect(try await Self.scalar(client, "SELECT created_at = '2024-01-15 10:00:00+00' FROM users WHERE id = 1", as: Bool.self) == true)
            #expect(try await Self.scalar(client, "SELECT f.bucket || '/' || f.object_key FROM users u JOIN files f ON f.id = u.avatar_file_id WHERE u.id = 1", as: String.self) == "bh-avatars/\(avatarKey)")
            #expect(try await Self.scalar(client, "SELECT theme || notifications_enabled::text || language FROM user_settings WHERE user_id = 1", as: String.self) == "darkfalsede")
            #expect(try await Self.scalar(client, "SELECT string_agg(s.id || p.name || f.object_key, ',' ORDER BY s.id) FROM stickers s JOIN sticker_packs p ON p.id = s.pack_id JOIN files f ON f.id = s.file_id", as: String.self)
                == "1Emojis\(stickerKeys[0]),2emoji\(stickerKeys[1])")
            #expect(try await Self.scalar(client, "SELECT string_agg(c.id || c.type::text || c.direct_key || c.owner_id, ',' ORDER BY c.id) FROM chats c", as: String.self) == "1direct1:21,2direct1:31,3direct2:42")
            #expect(try await Self.scalar(client, "SELECT string_agg(chat_id || '-' || user_id || role, ',' ORDER BY chat_id, user_id) FROM chat_members", as: String.self)
                == "1-1owner,1-2member,2-1owner,2-3member,3-2owner,3-4member")
            #expect(try await Self.scalar(client, "SELECT content FROM messages WHERE id = 2", as: String.self) == "tab\there\nnewline \\ backslash \\N")
            #expect(try await Self.scalar(client, "SELECT content FROM messages WHERE id = 3", as: String.self) == "e\u{301} مرحبا 𝄞")
            #expect(try await Self.scalar(client, "SELECT sticker_id FROM messages WHERE id = 4", as: Int64.self) == 1)
            #expect(try await Self.scalar(client, "SELECT m.message_type || m.duration_seconds || f.bucket || '/' || f.object_key || f.uploader_id FROM messages m JOIN files f ON f.id = m.file_id WHERE m.id = 5", as: String.self)
                == "voice7bh-uploads/\(try #require(try Self.voicePath(fixture)))2")
            #expect(try await Self.scalar(client, "SELECT created_at = '2023-12-31 23:59:59+00' FROM messages WHERE id = 1", as: Bool.self) == true)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM pg_class WHERE relname IN ('messages_2023_12', 'messages_2024_01', 'messages_2024_03')", as: Int.self) == 3)
            #expect(try await Self.scalar(client, "SELECT nextval('messages_id_seq') > 7 AND nextval('users_id_seq') > 4 AND nextval('chats_id_seq') > 3", as: Bool.self) == true)
            let voiceKey = try #require(try Self.voicePath(fixture))
            #expect(try await (try migrator.blobs).exists(bucket: "bh-uploads", key: voiceKey))

            let verified = try await migrator.run("verify", legacy: fixture)
            #expect(verified.status == 0, "\(verified.output)")
            #expect(verified.report["objects_checked"] as? Int == 4)

            let again = try await migrator.run("run", legacy: fixture)
            #expect(again.status == 0, "\(again.output)")
            #expect((again.report["rows_written"] as? NSNumber)?.intValue == 0)
            #expect(again.count("users", "unchanged") == 4)
            #expect(again.count("messages", "source_rows") == 7)
            #expect(again.count("messages", "unchanged") == 7)

            try fixture.execute("""
                UPDATE users SET display_name = 'Alice W.' WHERE id = 1;
                INSERT INTO users (id, username, password_hash, created_at) VALUES (5, 'dave', 'x$y$z', '2024-04-01 00:00:00');
                INSERT INTO conversations (id, user_a_id, user_b_id) VALUES (4, 1, 5);
                INSERT INTO messages (id, conversation_id, from_user_id, content, created_at) VALUES (8, 4, 5, 'hi from April', '2024-04-02 00:00:00');
                """)
            let delta = try await migrator.run("run", legacy: fixture)
            #expect(delta.status == 0, "\(delta.output)")
            #expect(delta.count("users", "changed") == 1)
            #expect(delta.count("users", "new") == 1)
            #expect(delta.count("users", "written") == 2)
            #expect(delta.count("conversations", "written") == 1)
            #expect(delta.count("messages", "written") == 1)
            #expect(delta.count("messages", "source_rows") == 8)
            #expect(delta.count("messages", "new") == 1)
            #expect(try await Self.scalar(client, "SELECT display_name FROM users WHERE id = 1", as: String.self) == "Alice W.")
            #expect(try await Self.scalar(client, "SELECT count(*) FROM messages", as: Int.self) == 8)
            let verifiedAgain = try await migrator.run("verify", legacy: fixture)
            #expect(verifiedAgain.status == 0, "\(verifiedAgain.output)")
        }
    }

    static func voicePath(_ fixture: LegacyFixture) throws -> String? {
        try FileManager.default.contentsOfDirectory(atPath: fixture.uploads.appendingPathComponent("voice").path).first.map { "voice/\($0)" }
    }

    @Test("verify finds a tampered row and a missing object, and exits 4")
    func verifyDetectsDifferences() async throws {
        try await MigratorProcess.withLocalBlobs { database, client, migrator in
            let (fixture, _, stickerKeys) = try await Self.cleanV2(blobs: try migrator.blobs)
            let run = try await migrator.run("run", legacy: fixture)
            #expect(run.status == 0, "\(run.output)")
            try await client.query("UPDATE messages SET content = 'tampered' WHERE id = 3", logger: Self.logger)
            try FileManager.default.removeItem(at: try #require(migrator.blobDirectory).appendingPathComponent("bh-stickers/\(stickerKeys[1])"))
            let verified = try await migrator.run("verify", legacy: fixture)
            #expect(verified.status == 4, "\(verified.output)")
            let differences = verified.report["differences"] as? [[String: Any]] ?? []
            #expect(differences.contains { $0["table"] as? String == "messages" && ($0["id"] as? NSNumber)?.intValue == 3 && (($0["problem"] as? String)?.contains("content differs") ?? false) })
            let missing = verified.report["objects_missing"] as? [[String: Any]] ?? []
            #expect(missing.contains { $0["key"] as? String == stickerKeys[1] })
        }
    }

    @Test("v1 layout: conversations derived in first-appearance order, default settings, self-messages")
    func v1Layout() async throws {
        try await MigratorProcess.withLocalBlobs { database, client, migrator in
            let fixture = try LegacyFixture(.v1)
            try fixture.execute("""
                INSERT INTO users (id, username, password_hash, created_at) VALUES
                  (1, 'alice', \(LegacyFixture.quote(LegacyFixture.pbkdf2Hash)), '2020-05-01 10:00:00'),
                  (2, 'bob', 'x$y$z', '2020-05-01 10:00:01'), (3, 'carol', 'x$y$z', '2020-05-02 00:00:00');
                INSERT INTO messages (id, from_user_id, to_user_id, content, created_at) VALUES
                  (1, 1, 2, 'a->b', '2020-05-03 00:00:00'), (2, 2, 1, 'b->a', '2020-05-03 00:00:01'),
                  (3, 3, 1, 'c->a', '2020-06-01 00:00:00'), (4, 2, 2, 'note to self', '2020-06-02 00:00:00'),
                  (5, 1, 3, 'a->c', '2020-07-01 00:00:00');
                """)
            let run = try await migrator.run("run", legacy: fixture)
            #expect(run.status == 0, "\(run.output)")
            #expect(try await Self.scalar(client, "SELECT string_agg(id || '=' || direct_key, ',' ORDER BY id) FROM chats", as: String.self) == "1=1:2,2=1:3,3=2:2")
            #expect(try await Self.scalar(client, "SELECT string_agg(id || '>' || chat_id || message_type, ',' ORDER BY id) FROM messages", as: String.self) == "1>1text,2>1text,3>2text,4>3text,5>2text")
            #expect(try await Self.scalar(client, "SELECT count(*) FROM chat_members WHERE chat_id = 3", as: Int.self) == 1)
            #expect(try await Self.scalar(client, "SELECT string_agg(user_id || theme || language, ',' ORDER BY user_id) FROM user_settings", as: String.self) == "1lighten,2lighten,3lighten")
            #expect(try await Self.scalar(client, "SELECT display_name IS NULL AND bio IS NULL FROM users WHERE id = 1", as: Bool.self) == true)
            let verified = try await migrator.run("verify", legacy: fixture)
            #expect(verified.status == 0, "\(verified.output)")
        }
    }

    @Test("bad rows are handled by the documented rules and listed (table, id, problem); exit 2")
    func badRows() async throws {
        try await MigratorProcess.withLocalBlobs { database, client, migrator in
            let fixture = try LegacyFixture(.v2, usernamesNoCase: false)
            try fixture.execute("""
                INSERT INTO users (id, username, password_hash, created_at) VALUES
                  (1, 'bob', 'x$y$z', '2024-01-01 00:00:00'), (2, 'Bob', 'x$y$z', '2024-01-01 00:00:00'),
                  (3, CAST(X'626164FF' AS TEXT), 'x$y$z', 'yesterday');
                INSERT INTO conversations (id, user_a_id, user_b_id) VALUES (1, 1, 2), (2, 1, 99);
                INSERT INTO messages (id, conversation_id, from_user_id, content, message_type, attachment_path, duration_seconds, created_at) VALUES
                  (1, 1, 1, CAST(X'6869FF21' AS TEXT), 'text', NULL, NULL, '2024-01-02 00:00:00'),
                  (2, 2, 1, 'to a conversation with a missing user', 'text', NULL, NULL, '2024-01-02 00:00:00'),
                  (3, 77, 1, 'to no conversation', 'text', NULL, NULL, '2024-01-02 00:00:00'),
                  (4, 1, 2, 'bad time', 'text', NULL, NULL, 'garbage'),
                  (5, 1, 2, '', 'voice', 'voice/voice_2_deadbeef.webm', 3, '2024-01-02 00:00:00'),
                  (6, 1, 1, '999', 'sticker', NULL, NULL, '2024-01-02 00:00:00'),
                  (7, 1, 1, 'a video?', 'video', NULL, NULL, '2024-01-02 00:00:00'),
                  (8, 1, 1, CAST(X'610062' AS TEXT), 'text', NULL, NULL, '2024-01-02 00:00:00');
                """)
            let run = try await migrator.run("run", legacy: fixture)
            #expect(run.status == 2, "\(run.output)")
            #expect(run.hasProblem("users", 2, containing: "collides"))
            #expect(run.hasProblem("users", 3, containing: "invalid UTF-8"))
            #expect(run.hasProblem("users", 3, containing: "created_at is not a timestamp"))
            #expect(run.hasProblem("conversations", 2, containing: "refers to no user"))
            #expect(run.hasProblem("messages", 1, containing: "invalid UTF-8"))
            #expect(run.hasProblem("messages", 2, containing: "no copied conversation"))
            #expect(run.hasProblem("messages", 3, containing: "no copied conversation"))
            #expect(run.hasProblem("messages", 4, containing: "not a timestamp"))
            #expect(run.hasProblem("messages", 5, containing: "missing"))
            #expect(run.hasProblem("messages", 6, containing: "sticker"))
            #expect(run.hasProblem("messages", 7, containing: "unknown"))
            #expect(run.hasProblem("messages", 8, containing: "NUL"))
            #expect(try await Self.scalar(client, "SELECT string_agg(username, ',' ORDER BY id) FROM users", as: String.self) == "bob,Bob_2,bad\u{FFFD}")
            #expect(try await Self.scalar(client, "SELECT string_agg(id::text, ',' ORDER BY id) FROM messages", as: String.self) == "1,4,5,6,7,8")
            #expect(try await Self.scalar(client, "SELECT content FROM messages WHERE id = 1", as: String.self) == "hi\u{FFFD}!")
            #expect(try await Self.scalar(client, "SELECT content FROM messages WHERE id = 8", as: String.self) == "ab")
            #expect(try await Self.scalar(client, "SELECT created_at = 'epoch' FROM messages WHERE id = 4", as: Bool.self) == true)
            #expect(try await Self.scalar(client, "SELECT sticker_id IS NULL AND message_type = 'sticker' FROM messages WHERE id = 6", as: Bool.self) == true)
            #expect(try await Self.scalar(client, "SELECT message_type FROM messages WHERE id = 7", as: String.self) == "text")

            // The rules are deterministic: verify maps the same way and only the voice file is missing.
            let verified = try await migrator.run("verify", legacy: fixture)
            #expect(verified.status == 4, "\(verified.output)")
            #expect((verified.report["differences_total"] as? NSNumber)?.intValue == 0)
            #expect((verified.report["objects_missing"] as? [[String: Any]])?.first?["key"] as? String == "voice/voice_2_deadbeef.webm")
            let again = try await migrator.run("run", legacy: fixture)
            #expect((again.report["rows_written"] as? NSNumber)?.intValue == 0)
        }
    }

    @Test("a target holding other rows under the same ids is refused with nothing written; --dry-run writes nothing")
    func conflictingTargetRefused() async throws {
        try await MigratorProcess.withLocalBlobs { database, client, migrator in
            let (fixture, _, _) = try await Self.cleanV2(blobs: try migrator.blobs)

            // Both as bulk copies too: a bulk copy suspends the message indexes and creates its
            // partitions while it plans, and only keeps that when it goes ahead.
            let partitionsBefore = try await Self.scalar(client, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'messages'::regclass", as: Int.self)
            let messageIndexes = "SELECT count(*) FROM pg_index WHERE indrelid = 'messages'::regclass"
            let indexesBefore = try await Self.scalar(client, messageIndexes, as: Int.self)
            let dry = try await migrator.run("run", legacy: fixture, arguments: ["--dry-run", "--suspend-foreign-keys-above", "1"])
            #expect(dry.status == 0, "\(dry.output)")
            #expect(dry.report["outcome"] as? String == "dry-run")
            #expect(dry.count("users", "new") == 4)
            #expect(dry.count("messages", "new") == 7)
            #expect(try await Self.scalar(client, "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM migrator_runs) + (SELECT count(*) FROM migrator_checkpoints)", as: Int.self) == 0)

            try await client.query(
                "INSERT INTO users (id, username, password_hash) VALUES (2, 'mallory', 'x$y$z'), (50, 'CAROL', 'x$y$z')", logger: Self.logger)
            let sequenceBefore = try await Self.scalar(client, "SELECT last_value FROM users_id_seq", as: Int64.self)
            let refused = try await migrator.run("run", legacy: fixture, arguments: ["--suspend-foreign-keys-above", "1"])
            #expect(refused.status == 3, "\(refused.output)")
            #expect(refused.conflicts.contains { $0["table"] as? String == "users" && ($0["id"] as? NSNumber)?.intValue == 2 })
            #expect(refused.conflicts.contains { $0["table"] as? String == "users" && (($0["problem"] as? String)?.contains("CAROL") ?? false) })
            #expect(refused.output.contains("REFUSED"))
            #expect(try await Self.scalar(client, "SELECT count(*) FROM users", as: Int.self) == 2)
            #expect(try await Self.scalar(client, "SELECT (SELECT count(*) FROM chats) + (SELECT count(*) FROM messages) + (SELECT count(*) FROM files) + (SELECT count(*) FROM migrator_runs) + (SELECT count(*) FROM migrator_checkpoints) + (SELECT count(*) FROM migrator_row_digests)", as: Int.self) == 0)
            #expect(try await Self.scalar(client, "SELECT last_value FROM users_id_seq", as: Int64.self) == sequenceBefore)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'messages'::regclass", as: Int.self) == partitionsBefore)
            #expect(try await Self.scalar(client, messageIndexes, as: Int.self) == indexesBefore)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM migrator_suspended_indexes", as: Int.self) == 0)
        }
    }
}
