import ArgumentParser
import MessengerCore
import PostgresNIO

struct SeedDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Fill an EMPTY database with demo users, chats and a sticker pack; does nothing otherwise.")

    func run() async throws {
        let environment = try CommandEnvironment.load()
        let client = PostgresClient(settings: environment.configuration.database, logger: environment.logger)
        let outcome = try await client.withRunningClient { client in
            try await SchemaMigrationRunner(client: client, migrations: environment.migrations, logger: environment.logger).migrate()
            _ = try await MessagePartitionMaintenance.ensureUpcomingPartitions(client: client, logger: environment.logger)
            let hasher = PasswordHasher(pool: KeyDerivationPool())
            return try await DemoSeeder(client: client, hasher: hasher, buckets: environment.configuration.buckets, logger: environment.logger).seedIfEmpty()
        }
        print(outcome.description)
    }
}
