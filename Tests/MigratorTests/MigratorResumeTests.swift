import Foundation
import Logging
import MessengerCore
import PostgresNIO
import Testing
import TestSupport

@Suite("migrator crash and resume (real binaries)")
struct MigratorResumeTests {
    static let logger = Logger(label: "migrator-tests")

    /// 300 users, 1,500 conversations, `messages` messages over 14 months, made by SQLite itself.
    static func generated(messages: Int) throws -> LegacyFixture {
        let fixture = try LegacyFixture(.v2)
        try fixture.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
            INSERT INTO users (id, username, password_hash, display_name, created_at)
            SELECT i, 'user' || i, 'x$y$z', 'User ' || i, datetime('2023-01-01', '+' || i || ' minutes') FROM n;
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1499)
            INSERT INTO conversations (user_a_id, user_b_id, updated_at)
            SELECT i % 300 + 1, i % 300 + 2 + i / 300, '2024-01-01 00:00:00' FROM n WHERE i % 300 + 2 + i / 300 <= 300;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(messages))
            INSERT INTO messages (id, conversation_id, from_user_id, content, message_type, created_at)
            SELECT n.i, c.id, c.user_a_id, 'message ' || n.i || ' ✓', 'text',
                   datetime('2023-01-01', '+' || (n.i * 36000 / \(messages)) || ' hours')
            FROM n JOIN conversations c ON c.id = n.i % (SELECT count(*) FROM conversations) + 1;
            """)
        return fixture
    }

    static func scalar<T: PostgresDecodable & Sendable>(_ client: PostgresClient, _ sql: String, as type: T.Type = T.self) async throws -> T? {
        for try await value in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(T.self) { return value }
        return nil
    }

    @Test("stopped after a batch, then kill -9 mid-run, then run: complete, no duplicates, verify green")
    func killAndResume() async throws {
        try await MigratorProcess.withLocalBlobs { database, client, migrator in
            let total = 20_000
            let fixture = try Self.generated(messages: total)
            let expectedMessages = try #require(try Self.sourceCount(fixture))

            // 1. Interrupted right after the second committed message batch.
            let stopped = try await migrator.run(
                "run", legacy: fixture, arguments: ["--batch-size", "500"], extra: ["MIGRATOR_STOP_AFTER_BATCHES": "2"])
            #expect(stopped.status == 1, "\(stopped.output)")
            #expect(try await Self.scalar(client, "SELECT last_source_id FROM migrator_checkpoints WHERE source_table = 'messages'", as: Int64.self) == 1000)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM messages", as: Int.self) == 1000)

            // 2. Killed with SIGKILL while it copies, twice: at a few thousand messages in the
            // replica role (the foreign keys stay), then further on with them dropped.
            for (attempt, (killAt, mode)) in [(3_000, "replica-role"), (9_000, "recreate")].enumerated() {
                let log = migrator.workDirectory.appendingPathComponent("killed-\(attempt).log")
                let child = try migrator.start(
                    ["run", "--legacy-db", fixture.path, "--batch-size", "200", "--quiet", "--suspend-foreign-keys-above", "1000",
                     "--bulk-foreign-keys", mode,
                     "--report", migrator.workDirectory.appendingPathComponent("killed-\(attempt).json").path],
                    // A pause after each pair of batches keeps the copy going long enough to be
                    // killed part-way; the kill still lands wherever the run is at that moment. The
                    // run holds 2,000 messages past the kill point, so a poll below that was
                    // delayed on a loaded machine still finds it running (it once finished first).
                    extra: ["MIGRATOR_PAUSE_AFTER_BATCHES_MS": "100", "MIGRATOR_HOLD_AFTER_SOURCE_ID": "\(killAt + 2_000)"], log: log)
                var copied: Int64 = 0
                for _ in 0..<6000 where child.isRunning {
                    copied = try await Self.scalar(client, "SELECT last_source_id FROM migrator_checkpoints WHERE source_table = 'messages'", as: Int64.self) ?? 0
                    if copied >= Int64(killAt) { break }
                    try await Task.sleep(for: .milliseconds(5))
                }
                child.signal(SIGKILL)
                let status = await child.waitForExit(timeout: .seconds(30))
                #expect(status == 128 + SIGKILL, "the run ended before it could be killed: \(String(describing: status))")
                let after = try await Self.scalar(client, "SELECT count(*) FROM messages", as: Int64.self) ?? 0
                #expect(after >= Int64(killAt) && after < expectedMessages)
                #expect(try await Self.scalar(client, "SELECT last_source_id FROM migrator_checkpoints WHERE source_table = 'messages'", as: Int64.self) == after)
                // The bulk copy's suspended constraints and secondary indexes are recorded as such.
                // Dropped either way: the primary key of messages and its three full secondary
                // indexes (the two partial ones stay). Foreign keys dropped in `recreate` mode only:
                // four of messages, one of chats (owner), two of chat_members.
                if mode == "replica-role" {
                    #expect(try await Self.scalar(client, "SELECT string_agg(constraint_name, ',') FROM migrator_suspended_constraints", as: String.self) == "messages_pkey")
                    #expect(try await Self.foreignKeysOfMessages(client) == 4)
                    #expect(try await Self.foreignKeysOfChats(client) == 3)
                } else {
                    #expect(try await Self.scalar(client, "SELECT count(*) FROM migrator_suspended_constraints", as: Int.self) == 8)
                    #expect(try await Self.foreignKeysOfMessages(client) == 0)
                    #expect(try await Self.foreignKeysOfChats(client) == 0)
                }
                #expect(try await Self.scalar(client, "SELECT count(*) FROM migrator_suspended_indexes", as: Int.self) == 3)
                #expect(try await Self.indexesOfMessages(client) == ["messages_file_id_idx", "messages_sticker_id_idx"])
            }
            let unfinished = try await migrator.run("verify", legacy: fixture)
            #expect(unfinished.status == 4)
            #expect((unfinished.report["suspended_constraints"] as? [String])?.count == 8)
            #expect((unfinished.report["suspended_indexes"] as? [String])?.count == 3)

            // 3. Run again: completes the rest.
            let resumed = try await migrator.run("run", legacy: fixture)
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(try await Self.scalar(client, "SELECT count(*) FROM messages", as: Int64.self) == expectedMessages)
            #expect(try await Self.scalar(client, "SELECT count(DISTINCT id) FROM messages", as: Int64.self) == expectedMessages)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM users", as: Int.self) == 300)
            #expect(try await Self.foreignKeysOfMessages(client) == 4)
            #expect(try await Self.foreignKeysOfChats(client) == 3)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM migrator_suspended_constraints", as: Int.self) == 0)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM migrator_suspended_indexes", as: Int.self) == 0)
            #expect(try await Self.indexesOfMessages(client) == Self.schemaIndexesOfMessages)
            // Every partition, including those created while the indexes were dropped, has all six,
            // its primary key attached to the one of messages (not a second one beside it).
            #expect(try await Self.scalar(client, """
                SELECT count(*) FROM pg_inherits p LEFT JOIN pg_index i ON i.indrelid = p.inhrelid
                WHERE p.inhparent = 'messages'::regclass GROUP BY p.inhrelid HAVING count(i.*) <> 6 LIMIT 1
                """, as: Int.self) == nil)
            #expect(try await Self.scalar(client, """
                SELECT count(*) FROM pg_inherits p LEFT JOIN pg_constraint k ON k.conrelid = p.inhrelid AND k.contype = 'p'
                WHERE p.inhparent = 'messages'::regclass AND k.conparentid IS DISTINCT FROM
                      (SELECT oid FROM pg_constraint WHERE conrelid = 'messages'::regclass AND contype = 'p')
                """, as: Int.self) == 0)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM chat_members", as: Int64.self)
                == 2 * (try Self.sourceCount(fixture, table: "conversations") ?? 0))
            let verified = try await migrator.run("verify", legacy: fixture)
            #expect(verified.status == 0, "\(verified.output)")
        }
    }

    @Test("a run killed while it rebuilt the indexes: the ones still recorded are built by the next run, verify fails until then")
    func indexesLeftSuspended() async throws {
        try await MigratorProcess.withLocalBlobs { database, client, migrator in
            let (fixture, _, _) = try await MigratorRunTests.cleanV2(blobs: try migrator.blobs)
            let bulk = try await migrator.run("run", legacy: fixture, arguments: ["--suspend-foreign-keys-above", "1"])
            #expect(bulk.status == 0, "\(bulk.output)")
            #expect(try await Self.indexesOfMessages(client) == Self.schemaIndexesOfMessages)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM migrator_suspended_indexes", as: Int.self) == 0)

            // The state a kill leaves after three of the five rebuilds committed: two dropped and
            // recorded. A third record whose index exists (built by hand meanwhile) must not fail.
            try await client.query(
                """
                INSERT INTO migrator_suspended_indexes (table_name, index_name, definition)
                SELECT 'messages', c.relname, replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ')
                FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = 'messages'::regclass
                  AND c.relname IN ('messages_sender_id_idx', 'messages_chat_id_id_idx', 'messages_file_id_idx')
                """, logger: Self.logger)
            try await client.query("DROP INDEX messages_sender_id_idx, messages_chat_id_id_idx", logger: Self.logger)
            let unfinished = try await migrator.run("verify", legacy: fixture)
            #expect(unfinished.status == 4, "\(unfinished.output)")
            #expect((unfinished.report["suspended_indexes"] as? [String])?.sorted()
                == ["messages_chat_id_id_idx", "messages_file_id_idx", "messages_sender_id_idx"])

            let resumed = try await migrator.run("run", legacy: fixture)
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(try await Self.indexesOfMessages(client) == Self.schemaIndexesOfMessages)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM migrator_suspended_indexes", as: Int.self) == 0)
            let verified = try await migrator.run("verify", legacy: fixture)
            #expect(verified.status == 0, "\(verified.output)")
        }
    }

    @Test("a duplicate message id that got in while the primary key was suspended fails the run that restores the key")
    func duplicateWhileKeySuspended() async throws {
        try await MigratorProcess.withLocalBlobs { database, client, migrator in
            let fixture = try Self.generated(messages: 2_000)
            let stopped = try await migrator.run(
                "run", legacy: fixture, arguments: ["--batch-size", "200", "--suspend-foreign-keys-above", "100"],
                extra: ["MIGRATOR_STOP_AFTER_BATCHES": "2"])
            #expect(stopped.status == 1, "\(stopped.output)")

            // The state a kill leaves during a bulk copy (a clean stop restores it): the key dropped
            // and recorded. Then a row that duplicates a copied one, which the key would refuse.
            try await client.query(
                """
                INSERT INTO migrator_suspended_constraints (table_name, constraint_name, definition)
                SELECT 'messages', conname, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conrelid = 'messages'::regclass AND contype = 'p'
                """, logger: Self.logger)
            try await client.query("ALTER TABLE messages DROP CONSTRAINT messages_pkey", logger: Self.logger)
            try await client.query("INSERT INTO messages SELECT * FROM messages WHERE id = 7", logger: Self.logger)

            let verifyBefore = try await migrator.run("verify", legacy: fixture)
            #expect(verifyBefore.status == 4, "\(verifyBefore.output)")
            let failed = try await migrator.run("run", legacy: fixture)
            #expect(failed.status == 1, "\(failed.output)")
            #expect(failed.output.contains("could not create unique index"), "\(failed.output)")
            #expect(try await Self.scalar(client, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'messages'::regclass AND contype = 'p'", as: Int.self) == 0)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM migrator_suspended_constraints", as: Int.self) == 1)

            // Once the duplicate is gone, the next run restores the key and completes.
            try await client.query("DELETE FROM messages_2023_01 WHERE ctid = (SELECT max(ctid) FROM messages_2023_01 WHERE id = 7)", logger: Self.logger)
            let resumed = try await migrator.run("run", legacy: fixture)
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(try await Self.indexesOfMessages(client) == Self.schemaIndexesOfMessages)
            let verified = try await migrator.run("verify", legacy: fixture)
            #expect(verified.status == 0, "\(verified.output)")
        }
    }

    static func foreignKeysOfMessages(_ client: PostgresClient) async throws -> Int? {
        try await scalar(client, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'messages'::regclass AND contype = 'f'", as: Int.self)
    }

    static func foreignKeysOfChats(_ client: PostgresClient) async throws -> Int? {
        try await scalar(
            client, "SELECT count(*) FROM pg_constraint WHERE conrelid IN ('chats'::regclass, 'chat_members'::regclass) AND contype = 'f'",
            as: Int.self)
    }

    static let schemaIndexesOfMessages = [
        "messages_chat_id_created_at_idx", "messages_chat_id_id_idx", "messages_file_id_idx", "messages_pkey",
        "messages_sender_id_idx", "messages_sticker_id_idx",
    ]

    /// Names of the indexes of the partitioned `messages` table itself.
    static func indexesOfMessages(_ client: PostgresClient) async throws -> [String] {
        let names = try await scalar(
            client, "SELECT string_agg(indexrelid::regclass::text, ',' ORDER BY indexrelid::regclass::text) FROM pg_index WHERE indrelid = 'messages'::regclass",
            as: String.self)
        return names?.split(separator: ",").map(String.init) ?? []
    }

    static func sourceCount(_ fixture: LegacyFixture, table: String = "messages") throws -> Int64? {
        let source = try LegacySQLiteCount(path: fixture.path)
        return try source.count(table)
    }
}
