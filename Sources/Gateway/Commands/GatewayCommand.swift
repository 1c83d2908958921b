import ArgumentParser
import Foundation
import Logging
import MessengerCore
import PostgresNIO

@main
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "The messenger gateway: legacy /api/* and the JWT API over one PostgreSQL.",
        subcommands: [ServeCommand.self, MigrateCommand.self, SeedDemoCommand.self],
        defaultSubcommand: ServeCommand.self)
}

/// What every subcommand does first: logging, configuration and the migration files.
struct CommandEnvironment {
    let configuration: GatewayConfiguration
    let migrations: [SchemaMigration]
    let logger: Logger

    /// PostgreSQL errors hide their details from `description` (they may contain data); a command
    /// that fails on one prints the server's reason, which is what an operator needs.
    func reportingDatabaseErrors<Result>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as PSQLError {
            throw CommandFailure("database error: \(error.serverInfo?[.message] ?? String(reflecting: error))")
        }
    }

    static func load() throws -> CommandEnvironment {
        let environment = ProcessInfo.processInfo.environment
        LoggingSystem.bootstrap({ label, metadataProvider in
            var handler = StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider)
            handler.logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }, metadataProvider: RequestLogging.metadataProvider)
        let logger = Logger(label: "gateway")
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration(environment: environment)
        } catch let error as ConfigurationError {
            throw CommandFailure(error.description)
        }
        for warning in configuration.warnings {
            logger.warning("\(warning)")
        }
        let directory = try MigrationsDirectory.locate(environment: environment)
        return CommandEnvironment(
            configuration: configuration, migrations: try SchemaMigration.load(from: directory), logger: logger)
    }
}

/// A failure to report as one plain line (ArgumentParser adds usage help to validation errors only).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
