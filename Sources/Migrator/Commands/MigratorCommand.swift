import ArgumentParser
import Foundation
import Logging

@main
struct MigratorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrator",
        abstract: "Copy api_legacy's SQLite database and uploaded files into the gateway's PostgreSQL schema.",
        discussion: """
            Exit codes: 0 done (verify: identical); 1 failed (run again to resume); 2 done, with source rows \
            handled by bad-data rules (see the report); 3 refused: the target holds other data under the same \
            ids, nothing written; 4 verify found differences; 64 usage error.
            """,
        subcommands: [RunCommand.self, VerifyCommand.self])
}

/// Options both subcommands share.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("legacy-db"), help: "api_legacy's SQLite file (opened read-only).")
    var legacyDB: String

    @Option(name: .customLong("database-url"), help: "Target PostgreSQL (default: DATABASE_URL or DB_* variables).")
    var databaseURL: String?

    @Option(name: .customLong("report"), help: "Where to write the JSON report.")
    var reportPath: String?

    /// The target's configuration and the opened source; either failing is the command's failure exit.
    func open() throws -> (MigratorEnvironment, LegacySource) {
        do {
            return (try MigratorEnvironment(databaseURL: databaseURL), try LegacySource(path: legacyDB))
        } catch {
            throw exitWith(.failure, message: "\(error)")
        }
    }
}

enum CommandLogging {
    static func bootstrap() -> Logger {
        // Errors reach the operator through the summary and the exit code; library logs only on request.
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "migrator")
    }
}

/// Prints a failure as one line and exits with the documented code.
func exitWith(_ code: MigratorExitCode, message: String? = nil) -> ExitCode {
    if let message { FileHandle.standardError.write(Data("migrator: \(message)\n".utf8)) }
    return ExitCode(code.rawValue)
}
