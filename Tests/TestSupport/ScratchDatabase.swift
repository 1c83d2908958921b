import Foundation
import Logging
import MessengerCore
import PostgresNIO

/// A database of its own for one test, created on the shared test cluster and dropped afterwards,
/// so tests can run in parallel without seeing each other's rows.
public struct ScratchDatabase: Sendable {
    public let settings: DatabaseSettings
    public let name: String

    public var url: String {
        "postgres://\(settings.username):\(settings.password ?? "")@\(settings.host):\(settings.port)/\(name)"
    }

    static let logger = Logger(label: "tests")
    /// Names every database this test process creates, so leftovers of earlier (killed) runs can be
    /// dropped without touching the databases of tests running right now.
    static let runID = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(8).lowercased()

    /// Runs `body` with a new, empty database (`migrated: false`) or one with the current schema.
    public static func with<Result: Sendable>(
        migrated: Bool = true,
        _ body: @Sendable (ScratchDatabase, PostgresClient) async throws -> Result
    ) async throws -> Result {
        let admin = try TestEnvironment.databaseSettings()
        let name = "t_\(runID)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
        let template = migrated ? try await MigratedTemplate.shared.name() : "template0"
        try await execute("CREATE DATABASE \(name) TEMPLATE \(template)", on: admin)
        var settings = admin
        settings.database = name
        let database = ScratchDatabase(settings: settings, name: name)
        let client = PostgresClient(settings: settings, logger: logger)
        do {
            let result = try await client.withRunningClient { try await body(database, $0) }
            try await drop(name, on: admin)
            return result
        } catch {
            try? await drop(name, on: admin)
            throw error
        }
    }

    static func drop(_ name: String, on admin: DatabaseSettings) async throws {
        try await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin)
    }

    static func execute(_ sql: String, on settings: DatabaseSettings) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: settings.host, port: settings.port, username: settings.username,
                password: settings.password, database: settings.database, tls: .disable),
            id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }
}

/// A template database with the schema applied once per test process; scratch databases copy it,
/// which is much faster than migrating each one.
actor MigratedTemplate {
    static let shared = MigratedTemplate()
    private var created: Task<String, any Error>?

    func name() async throws -> String {
        if let created { return try await created.value }
        let task = Task<String, any Error> {
            let admin = try TestEnvironment.databaseSettings()
            try await MigratedTemplate.dropStaleTemplates(on: admin)
            let name = "tmpl_\(ScratchDatabase.runID)"
            try await ScratchDatabase.execute("CREATE DATABASE \(name) TEMPLATE template0", on: admin)
            var settings = admin
            settings.database = name
            let client = PostgresClient(settings: settings, logger: ScratchDatabase.logger)
            try await client.withRunningClient { client in
                let migrations = try SchemaMigration.load(from: TestEnvironment.migrationsDirectory)
                try await SchemaMigrationRunner(client: client, migrations: migrations, logger: ScratchDatabase.logger).migrate()
                _ = try await MessagePartitionMaintenance.ensureUpcomingPartitions(client: client, logger: ScratchDatabase.logger)
            }
            try await MigratedTemplate.waitUntilUnused(name, on: admin)
            return name
        }
        created = task
        return try await task.value
    }

    /// The pool closes its connections in the background, so the server may still count a session
    /// on the template for a moment; `CREATE DATABASE … TEMPLATE` refuses a template in use, which
    /// failed every test that started in that moment on a loaded machine.
    static func waitUntilUnused(_ name: String, on admin: DatabaseSettings) async throws {
        let client = PostgresClient(settings: admin, logger: ScratchDatabase.logger)
        try await client.withRunningClient { client in
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let rows = try await client.query(
                    "SELECT count(*)::int8 FROM pg_stat_activity WHERE datname = \(name)", logger: ScratchDatabase.logger)
                var sessions: Int64 = 0
                for try await count in rows.decode(Int64.self) { sessions = count }
                if sessions == 0 { return }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Databases of earlier test processes (a killed run leaves them behind); this process's own,
    /// possibly in use by a test running right now, are kept.
    static func dropStaleTemplates(on admin: DatabaseSettings) async throws {
        let client = PostgresClient(settings: admin, logger: ScratchDatabase.logger)
        let stale = try await client.withRunningClient { client in
            var names: [String] = []
            let rows = try await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'tmpl\\_%' OR datname LIKE 't\\_%'", logger: ScratchDatabase.logger)
            for try await name in rows.decode(String.self) where !name.contains(ScratchDatabase.runID) { names.append(name) }
            return names
        }
        for name in stale {
            try await ScratchDatabase.drop(name, on: admin)
        }
    }
}
