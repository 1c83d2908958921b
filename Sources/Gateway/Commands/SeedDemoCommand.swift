import ArgumentParser
import Foundation
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
            let pool = KeyDerivationPool()
            defer { Task { try? await pool.shutdown() } }
            let configuration = environment.configuration
            return try await DemoSeeder(
                client: client, hasher: PasswordHasher(pool: pool), buckets: configuration.buckets,
                blobs: GatewayApplication.blobStore(configuration),
                stickerDirectory: URL(fileURLWithPath: configuration.staticDirectory).appendingPathComponent("stickers"),
                logger: environment.logger
            ).seedIfEmpty()
        }
        print(outcome.description)
    }
}
