import ArgumentParser
import MessengerCore
import PostgresNIO

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending schema migrations (verifying applied ones) and exit.")

    func run() async throws {
        let environment = try CommandEnvironment.load()
        let client = PostgresClient(settings: environment.configuration.database, logger: environment.logger)
        let applied = try await environment.reportingDatabaseErrors { try await client.withRunningClient { client in
            let applied = try await SchemaMigrationRunner(
                client: client, migrations: environment.migrations, logger: environment.logger
            ).migrate()
            _ = try await MessagePartitionMaintenance.ensureUpcomingPartitions(client: client, logger: environment.logger)
            return applied
        } }
        print(applied.isEmpty ? "schema is up to date" : "applied schema migrations: \(applied.map(String.init).joined(separator: ", "))")
    }
}
