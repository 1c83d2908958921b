import Foundation
import Logging
import MessengerCore
import Migrator
import PostgresNIO
import Testing
import TestSupport

/// A bulk copy writes without PostgreSQL's per-row foreign key checks (the replica role), so
/// verify checks every foreign key itself.
@Suite("bulk copy foreign keys (replica role, dangling references)")
struct BulkForeignKeysTests {
    static let logger = Logger(label: "migrator-tests")

    @Test("only a role that may set session_replication_role gets the replica role")
    func replicaRolePermission() async throws {
        try await ScratchDatabase.with { database, client in
            // The test cluster's role is a superuser.
            #expect(await TargetStore(client: client, buckets: .defaults, logger: Self.logger).maySetReplicaRole())
            let role = "plain_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
            try await client.query(PostgresQuery(unsafeSQL: "CREATE ROLE \(role) LOGIN PASSWORD 'plain-role'"), logger: Self.logger)
            var settings = database.settings
            settings.username = role
            settings.password = "plain-role"
            let plain = PostgresClient(settings: settings, logger: Self.logger)
            let allowed = try await plain.withRunningClient { client in
                await TargetStore(client: client, buckets: .defaults, logger: Self.logger).maySetReplicaRole()
            }
            try await client.query(PostgresQuery(unsafeSQL: "DROP ROLE \(role)"), logger: Self.logger)
            #expect(!allowed)
        }
    }

    @Test("a bulk run reports its mode; verify lists rows whose foreign key refers to nothing, and exits 4")
    func danglingReferences() async throws {
        try await MigratorProcess.withLocalBlobs { database, client, migrator in
            let (fixture, _, _) = try await MigratorRunTests.cleanV2(blobs: try migrator.blobs)
            let run = try await migrator.run("run", legacy: fixture, arguments: ["--suspend-foreign-keys-above", "1"])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.report["bulk_foreign_keys"] as? String == "replica-role")
            let clean = try await migrator.run("verify", legacy: fixture)
            #expect(clean.status == 0, "\(clean.output)")
            #expect((clean.report["dangling_references"] as? [Any])?.isEmpty == true)

            // What PostgreSQL lets through in the replica role: a message from a user that does not exist.
            try await client.withConnection { connection in
                try await connection.query("SET session_replication_role = replica", logger: Self.logger)
                try await connection.query("UPDATE messages SET sender_id = 999999 WHERE id = 1", logger: Self.logger)
                try await connection.query("RESET session_replication_role", logger: Self.logger)
            }
            let verified = try await migrator.run("verify", legacy: fixture)
            #expect(verified.status == 4, "\(verified.output)")
            let dangling = verified.report["dangling_references"] as? [[String: Any]] ?? []
            #expect(dangling.count == 1)
            #expect(dangling.first?["table"] as? String == "messages")
            #expect(dangling.first?["constraint"] as? String == "messages_sender_id_fkey")
            #expect((dangling.first?["rows"] as? NSNumber)?.intValue == 1)
        }
    }
}
