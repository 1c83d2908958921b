import Foundation
import Logging
import MessengerCore
import PostgresNIO
import Testing
import TestSupport

@Suite("Schema migration runner (real PostgreSQL)")
struct SchemaMigrationRunnerTests {
    let logger = Logger(label: "tests")

    func repositoryMigrations() throws -> [SchemaMigration] {
        try SchemaMigration.load(from: TestEnvironment.migrationsDirectory)
    }

    func appliedVersions(_ client: PostgresClient) async throws -> [Int] {
        var versions: [Int] = []
        let rows = try await client.query("SELECT version FROM schema_migrations ORDER BY version", logger: logger)
        for try await version in rows.decode(Int.self) { versions.append(version) }
        return versions
    }

    @Test("a fresh database gets every migration, and a re-run is a no-op")
    func freshThenRerun() async throws {
        let migrations = try repositoryMigrations()
        try await ScratchDatabase.with(migrated: false) { _, client in
            let runner = SchemaMigrationRunner(client: client, migrations: migrations, logger: logger)
            let first = try await runner.migrate()
            #expect(first == migrations.map(\.version))
            let second = try await runner.migrate()
            #expect(second.isEmpty)
            #expect(try await appliedVersions(client) == migrations.map(\.version))
            // Schema migrations insert no rows: migrated legacy ids start at 1.
            let users = try await client.query("SELECT count(*) FROM users", logger: logger)
            for try await count in users.decode(Int.self) { #expect(count == 0) }
        }
    }

    @Test("an applied migration that was edited afterwards is refused")
    func editedFileRefused() async throws {
        let migrations = try repositoryMigrations()
        try await ScratchDatabase.with(migrated: false) { _, client in
            try await SchemaMigrationRunner(client: client, migrations: migrations, logger: logger).migrate()
            var edited = migrations
            edited[0] = SchemaMigration(version: edited[0].version, name: edited[0].name, sql: edited[0].sql + "\n-- edited\n")
            await #expect(throws: SchemaMigrationError.checksumMismatch(version: edited[0].version, name: edited[0].name)) {
                try await SchemaMigrationRunner(client: client, migrations: edited, logger: logger).migrate()
            }
        }
    }

    @Test("a failing migration leaves nothing behind and the next run applies the fixed file")
    func failingMigrationRollsBack() async throws {
        let migrations = try repositoryMigrations()
        try await ScratchDatabase.with(migrated: false) { _, client in
            try await SchemaMigrationRunner(client: client, migrations: migrations, logger: logger).migrate()
            let next = (migrations.last?.version ?? 0) + 1
            let broken = SchemaMigration(version: next, name: "broken", sql: "CREATE TABLE half_done (id int);\nSELECT no_such_function();")
            await #expect(throws: SchemaMigrationError.self) {
                try await SchemaMigrationRunner(client: client, migrations: migrations + [broken], logger: logger).migrate()
            }
            let tables = try await client.query("SELECT to_regclass('half_done')::text", logger: logger)
            for try await name in tables.decode(String?.self) { #expect(name == nil) }
            let fixed = SchemaMigration(version: next, name: "fixed", sql: "CREATE TABLE half_done (id int);")
            #expect(try await SchemaMigrationRunner(client: client, migrations: migrations + [fixed], logger: logger).migrate() == [next])
        }
    }

    @Test("several runners racing apply each migration exactly once")
    func concurrentRunners() async throws {
        let migrations = try repositoryMigrations()
        try await ScratchDatabase.with(migrated: false) { database, _ in
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        // Separate pools, as separate gateway processes would have.
                        let client = PostgresClient(settings: database.settings, logger: logger)
                        return try await client.withRunningClient { client in
                            try await SchemaMigrationRunner(client: client, migrations: migrations, logger: logger).migrate()
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { !$0.isEmpty } == [migrations.map(\.version)])
            let client = PostgresClient(settings: database.settings, logger: logger)
            let versions = try await client.withRunningClient { try await appliedVersions($0) }
            #expect(versions == migrations.map(\.version))
        }
    }

    @Test("file names follow V<version>__<name>.sql")
    func fileNames() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 1;".write(to: directory.appendingPathComponent("V2__second.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;".write(to: directory.appendingPathComponent("V10__tenth.sql"), atomically: true, encoding: .utf8)
        #expect(try SchemaMigration.load(from: directory).map(\.version) == [2, 10])
        try "SELECT 1;".write(to: directory.appendingPathComponent("2_bad.sql"), atomically: true, encoding: .utf8)
        #expect(throws: SchemaMigrationError.badFileName("2_bad.sql")) { try SchemaMigration.load(from: directory) }
    }

    @Test("message partitions exist for this month and three ahead; there is no default partition")
    func partitions() async throws {
        try await ScratchDatabase.with { _, client in
            _ = try await MessagePartitionMaintenance.ensureUpcomingPartitions(client: client, logger: logger)
            let rows = try await client.query(
                """
                SELECT count(*) FILTER (WHERE pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'),
                       count(*) FILTER (WHERE c.relname = 'messages_' || to_char(now() AT TIME ZONE 'UTC' + interval '3 months', 'YYYY_MM'))
                FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'messages'::regclass
                """, logger: logger)
            for try await (defaults, ahead) in rows.decode((Int, Int).self) {
                #expect(defaults == 0)
                #expect(ahead == 1)
            }
            // A second call creates nothing new.
            #expect(try await MessagePartitionMaintenance.ensureUpcomingPartitions(client: client, logger: logger) == 0)
        }
    }

    @Test("usernames are unique case-insensitively for ASCII letters only, as in the legacy SQLite NOCASE")
    func usernameCollation() async throws {
        try await ScratchDatabase.with { _, client in
            try await client.query("INSERT INTO users (username, password_hash) VALUES ('Ünï', 'x'), ('ünï', 'x'), ('Alice', 'x')", logger: logger)
            await #expect(throws: PSQLError.self) {
                try await client.query("INSERT INTO users (username, password_hash) VALUES ('ALICE', 'x')", logger: logger)
            }
        }
    }
}
