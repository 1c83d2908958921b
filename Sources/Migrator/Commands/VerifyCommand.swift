import ArgumentParser
import Foundation
import MessengerCore
import PostgresNIO

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare source and target (counts, checksums, every row, stored objects); exit 4 on any difference.")

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .customLong("quiet"), help: "No progress output.")
    var quiet = false

    func run() async throws {
        let logger = CommandLogging.bootstrap()
        let reportPath = connection.reportPath ?? "migrator-verify-report.json"
        let (environment, source) = try connection.open()
        let client = PostgresClient(settings: environment.database, logger: logger)
        let report: Verification.Report
        do {
            report = try await client.withRunningClient { client in
                try await TargetStore(client: client, buckets: environment.buckets, logger: logger).requireSchema()
                return try await Verification(
                    source: source, client: client, blobs: environment.blobs, buckets: environment.buckets,
                    progress: ProgressDisplay(enabled: !quiet), logger: logger
                ).execute()
            }
        } catch {
            throw exitWith(.failure, message: MigratorEnvironment.describe(error))
        }
        do {
            try Data((report.json() + "\n").utf8).write(to: URL(fileURLWithPath: reportPath), options: .atomic)
        } catch {
            FileHandle.standardError.write(Data("migrator: cannot write the report to \(reportPath): \(error)\n".utf8))
        }
        print(report.summary)
        print("  report: \(reportPath)")
        if report.exitCode != .success { throw ExitCode(report.exitCode.rawValue) }
    }
}
