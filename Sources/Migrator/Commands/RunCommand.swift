import ArgumentParser
import Foundation
import MessengerCore
import PostgresNIO

extension BulkForeignKeys: ExpressibleByArgument {}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Copy everything new or changed since the last run; resumes after a crash.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("uploads-dir"), help: "api_legacy's uploads folder (with voice/ and avatars/).")
    var uploadsDir: String?

    @Option(
        name: .customLong("source-objects-dir"),
        help: "api_legacy's avatars and sticker images as a directory laid out <bucket>/<key>; objects the target store lacks are copied from it.")
    var sourceObjectsDir: String?

    @Option(
        name: .customLong("source-objects-url"),
        help: "api_legacy's S3 endpoint (http(s)://host:port) when it is not the target's; keys in SOURCE_S3_ACCESS_KEY, SOURCE_S3_SECRET_KEY (SOURCE_S3_REGION). Objects the target store lacks are copied from it.")
    var sourceObjectsURL: String?

    @Flag(name: .customLong("dry-run"), help: "Report what would be copied; write nothing.")
    var dryRun = false

    @Option(name: .customLong("batch-size"), help: "Messages per transaction.")
    var batchSize = 20_000

    @Option(
        name: .customLong("suspend-foreign-keys-above"),
        help: "A bulk copy (at least this many messages to copy) skips the per-row foreign key checks (see --bulk-foreign-keys) and drops the primary key and secondary indexes of messages, built again at the end.")
    var suspendForeignKeysAbove: Int64 = 100_000

    @Option(
        name: .customLong("bulk-foreign-keys"),
        help: "How a bulk copy avoids per-row foreign key checks: auto (replica-role when permitted), replica-role (session_replication_role = replica; superuser or GRANT SET ON PARAMETER), recreate (drop, then re-create and validate at the end).")
    var bulkForeignKeys: BulkForeignKeys = .auto

    @Flag(name: .customLong("quiet"), help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard (1...1_000_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 1000000") }
        guard sourceObjectsDir == nil || sourceObjectsURL == nil else {
            throw ValidationError("give --source-objects-dir or --source-objects-url, not both")
        }
    }

    func run() async throws {
        let logger = CommandLogging.bootstrap()
        let reportPath = connection.reportPath ?? "migrator-report.json"
        let (environment, source) = try connection.open()
        let sourceObjects: (any BlobStore)?
        do {
            sourceObjects = try environment.sourceObjectStore(directory: sourceObjectsDir, url: sourceObjectsURL)
        } catch {
            throw exitWith(.usage, message: "\(error)")
        }
        var options = MigrationRun.Options()
        options.dryRun = dryRun
        options.messageBatchSize = batchSize
        options.suspendForeignKeysAbove = suspendForeignKeysAbove
        options.bulkForeignKeys = bulkForeignKeys
        options.stopAfterMessageBatches = ProcessInfo.processInfo.environment["MIGRATOR_STOP_AFTER_BATCHES"].flatMap(Int.init)
        options.pauseAfterMessageBatches = ProcessInfo.processInfo.environment["MIGRATOR_PAUSE_AFTER_BATCHES_MS"]
            .flatMap(Int.init).map { .milliseconds($0) }
        options.holdAfterMessageID = ProcessInfo.processInfo.environment["MIGRATOR_HOLD_AFTER_SOURCE_ID"].flatMap(Int64.init)
        let client = PostgresClient(settings: environment.database, logger: logger)
        let store = TargetStore(client: client, buckets: environment.buckets, logger: logger)
        let run = MigrationRun(
            source: source, target: store,
            objects: LegacyObjects(
                blobs: environment.blobs, buckets: environment.buckets,
                uploadsDirectory: uploadsDir.map { URL(fileURLWithPath: $0) }, sourceStore: sourceObjects),
            options: options, progress: ProgressDisplay(enabled: !quiet), logger: logger)
        let report: RunReport
        do {
            report = try await client.withRunningClient { _ in
                try await store.withRunLock { try await run.execute() }
            }
        } catch let failure as MigrationRun.RunFailure {
            write(failure.report, to: reportPath)
            print(failure.report.summary)
            throw exitWith(.failure, message: MigratorEnvironment.describe(failure))
        } catch {
            throw exitWith(.failure, message: MigratorEnvironment.describe(error))
        }
        write(report, to: reportPath)
        print(report.summary)
        print("  report: \(reportPath)")
        if report.exitCode != .success { throw ExitCode(report.exitCode.rawValue) }
    }

    func write(_ report: RunReport, to path: String) {
        do {
            try Data((report.json() + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            FileHandle.standardError.write(Data("migrator: cannot write the report to \(path): \(error)\n".utf8))
        }
    }
}
