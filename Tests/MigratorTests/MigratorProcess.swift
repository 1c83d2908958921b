import Foundation
import MessengerCore
import PostgresNIO
import TestSupport

/// The real `migrator` binary run against a scratch database, with object storage either on the
/// test S3 server or in a local BLOB_DIR of the test's own.
struct MigratorProcess {
    struct Outcome {
        let status: Int32
        let output: String
        let report: [String: Any]

        func table(_ name: String) -> [String: Any] { (report["tables"] as? [String: Any])?[name] as? [String: Any] ?? [:] }
        func count(_ table: String, _ key: String) -> Int { (self.table(table)[key] as? NSNumber)?.intValue ?? -1 }
        var problems: [[String: Any]] { report["problems"] as? [[String: Any]] ?? [] }
        var conflicts: [[String: Any]] { report["conflicts"] as? [[String: Any]] ?? [] }
        func hasProblem(_ table: String, _ id: Int64, containing text: String) -> Bool {
            problems.contains {
                $0["table"] as? String == table && ($0["id"] as? NSNumber)?.int64Value == id
                    && (($0["problem"] as? String)?.contains(text) ?? false)
            }
        }
    }

    let databaseURL: String
    /// nil: the test S3 server; else a local blob directory.
    let blobDirectory: URL?
    let workDirectory: URL

    init(databaseURL: String, blobDirectory: URL? = nil) throws {
        self.databaseURL = databaseURL
        self.blobDirectory = blobDirectory
        workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("migrator-\(UUID().uuidString.prefix(12))")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
    }

    /// A scratch database and a migrator on it that stores objects in a blob directory of its
    /// own (`blobDirectory`), removed afterwards.
    static func withLocalBlobs<Result: Sendable>(
        _ body: @Sendable (ScratchDatabase, PostgresClient, MigratorProcess) async throws -> Result
    ) async throws -> Result {
        try await ScratchDatabase.with { database, client in
            let blobDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: blobDirectory) }
            return try await body(database, client, try MigratorProcess(databaseURL: database.url, blobDirectory: blobDirectory))
        }
    }

    var environment: [String: String] {
        get throws {
            var variables = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG"].contains($0.key) }
            variables["DATABASE_URL"] = databaseURL
            if let blobDirectory {
                variables["BLOB_DIR"] = blobDirectory.path
            } else {
                variables["S3_ENDPOINT"] = try TestEnvironment.required("S3_ENDPOINT")
                variables["S3_ACCESS_KEY"] = try TestEnvironment.required("S3_ACCESS_KEY")
                variables["S3_SECRET_KEY"] = try TestEnvironment.required("S3_SECRET_KEY")
            }
            return variables
        }
    }

    var blobs: any BlobStore {
        get throws {
            if let blobDirectory { return LocalBlobStore(root: blobDirectory) }
            return S3BlobStore(settings: ObjectStoreSettings(
                endpoint: try TestEnvironment.required("S3_ENDPOINT"), accessKey: try TestEnvironment.required("S3_ACCESS_KEY"),
                secretKey: try TestEnvironment.required("S3_SECRET_KEY")))
        }
    }

    /// Starts `migrator <arguments>` without waiting.
    func start(_ arguments: [String], extra: [String: String] = [:], log: URL) throws -> ChildProcess {
        var variables = try environment
        variables.merge(extra) { $1 }
        return try ChildProcess(TestEnvironment.executable("migrator").path, arguments, environment: variables, logPath: log.path)
    }

    /// Runs `migrator <command> --legacy-db ... --report ...` to completion.
    func run(
        _ command: String, legacy: LegacyFixture, arguments: [String] = [], extra: [String: String] = [:]
    ) async throws -> Outcome {
        let log = workDirectory.appendingPathComponent("\(command)-\(UUID().uuidString.prefix(6)).log")
        let report = workDirectory.appendingPathComponent("\(command)-\(UUID().uuidString.prefix(6)).json")
        var all = [command, "--legacy-db", legacy.path, "--report", report.path, "--quiet"] + arguments
        if command == "run" { all += ["--uploads-dir", legacy.uploads.path] }
        let child = try start(all, extra: extra, log: log)
        guard let status = await child.waitForExit(timeout: .seconds(300)) else {
            child.signal(SIGKILL)
            throw FixtureError("migrator \(command) did not finish")
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let json = (try? Data(contentsOf: report)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        return Outcome(status: status, output: output, report: json)
    }
}
